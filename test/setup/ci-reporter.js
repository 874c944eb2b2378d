/**
 * A jest reporter for CI logs: a line when each test file starts and when it ends, with its
 * time, so a run cut short by a time limit shows which files were still running; and at
 * the end, the slowest files.
 */
class CiReporter {
  constructor() {
    this.running = new Map();
    this.times = [];
  }
  onTestFileStart(test) {
    this.running.set(test.path, Date.now());
    process.stderr.write(`[ci] start ${this.name(test.path)}\n`);
  }
  onTestFileResult(test) {
    const started = this.running.get(test.path) ?? Date.now();
    this.running.delete(test.path);
    const seconds = (Date.now() - started) / 1000;
    this.times.push([seconds, this.name(test.path)]);
    process.stderr.write(`[ci] end ${this.name(test.path)} (${seconds.toFixed(1)} s)\n`);
  }
  onRunComplete() {
    const slow = this.times.sort((a, b) => b[0] - a[0]).slice(0, 8);
    process.stderr.write(
      `[ci] slowest files: ${slow.map(([s, n]) => `${n} ${s.toFixed(1)} s`).join(', ')}\n`,
    );
    if (this.running.size > 0)
      process.stderr.write(
        `[ci] still running: ${[...this.running.keys()].map((p) => this.name(p)).join(', ')}\n`,
      );
  }
  name(file) {
    return file.slice(file.lastIndexOf('/test/') + 1);
  }
}
module.exports = CiReporter;
