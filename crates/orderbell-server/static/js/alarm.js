// The new-order alarm: a two-tone chime made with WebAudio (no sound file), repeated every
// two seconds while some order is waiting to be seen. Browsers only allow sound after a tap,
// hence `unlock()` (the "enable sound" button). The state is published on
// `document.body.dataset.alarm`: `off` (nothing waiting), `ringing` (waiting and audible) or
// `muted` (waiting, but sound is not enabled yet).

export class Alarm {
  constructor(onstate) {
    this.ctx = null;
    this.wanted = false;
    this.timer = null;
    this.watching = false;
    this.onstate = onstate || (() => {});
  }

  audible() {
    return !!this.ctx && this.ctx.state === 'running';
  }

  // Follows the audio context (a browser may suspend it, e.g. on a locked phone): whoever
  // listens to `onstate` learns when the alarm stops or starts being audible.
  watch() {
    if (this.ctx && !this.watching) {
      this.watching = true;
      this.ctx.addEventListener('statechange', () => this.update());
    }
  }

  // Tries to get sound without a tap (allowed for installed apps and after earlier taps).
  async tryAutoUnlock() {
    try {
      this.ctx = this.ctx || new AudioContext();
      this.watch();
      if (this.ctx.state !== 'running') await Promise.race([this.ctx.resume(), new Promise((r) => setTimeout(r, 300))]);
    } catch { /* no audio here */ }
    this.update();
    return this.audible();
  }

  async unlock() {
    this.ctx = this.ctx || new AudioContext();
    this.watch();
    await this.ctx.resume();
    this.update();
  }

  set(wanted) {
    this.wanted = wanted;
    this.update();
  }

  update() {
    const ring = this.wanted && this.audible();
    if (ring && !this.timer) {
      this.chime();
      this.timer = setInterval(() => this.chime(), 2000);
    } else if (!ring && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    const state = !this.wanted ? 'off' : ring ? 'ringing' : 'muted';
    document.body.dataset.alarm = state;
    this.onstate(state);
  }

  chime() {
    const ctx = this.ctx;
    if (!ctx) return;
    const now = ctx.currentTime;
    [[880, 0], [660, 0.22], [880, 0.44], [660, 0.66]].forEach(([freq, at]) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'triangle';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(0.6, now + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + at);
      osc.stop(now + at + 0.21);
    });
  }
}
