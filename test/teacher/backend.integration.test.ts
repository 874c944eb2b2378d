import { currentBackend, ensureBackend, selectBackend, tf } from '../../src/teacher';

function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

const hasNode = installed('@tensorflow/tfjs-node');

describe('selectBackend', () => {
  it('auto picks the fastest backend that loads (wasm without tfjs-node)', async () => {
    const info = await selectBackend('auto');
    expect(info.name).toBe(hasNode ? 'node' : 'wasm');
    expect(tf.getBackend()).toBe(info.tfBackend);
    expect(currentBackend()).toEqual(info);
    expect(await ensureBackend()).toEqual(info);
  });

  (hasNode ? it.skip : it)('rejects node when tfjs-node is not installed', async () => {
    await expect(selectBackend('node')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      field: 'backend',
    });
  });

  it('switches to cpu and back to wasm', async () => {
    expect(await selectBackend('cpu')).toEqual({ name: 'cpu', tfBackend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1)).dataSync())).toEqual([2, 3]);
    expect(await selectBackend('wasm')).toEqual({ name: 'wasm', tfBackend: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown choice', async () => {
    await expect(selectBackend('gpu' as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'backend',
    });
  });
});
