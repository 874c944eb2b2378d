import { formatPath, NeurulesError, placeAt } from '../src/errors';

describe('issue paths', () => {
  it.each([
    [['rules', 3, 'priority'], 'rules[3].priority'],
    [['rules', 3, 'conditions', 'all', 0, 'not'], 'rules[3].conditions.all[0].not'],
    [['age'], 'age'],
    [['credit amount'], 'credit amount'],
    [[1, '__proto__'], '[1].__proto__'],
    [['probabilities', 'Iris-setosa'], 'probabilities["Iris-setosa"]'],
    [[], ''],
  ])('formatPath(%j) is %j', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });

  it('placeAt gives the path and its text together, and an error keeps both', () => {
    const place = placeAt(['rules', 0, 'event', 'params']);
    expect(place).toEqual({
      field: 'rules[0].event.params',
      path: ['rules', 0, 'event', 'params'],
    });
    const e = new NeurulesError('INVALID_RULES', 'no params', place);
    expect([e.field, e.path]).toEqual([place.field, place.path]);
    expect(e.issues[0]).toMatchObject(place);
  });
});
