/**
 * A probe injected into pages for the audio tests: it taps every <audio data-audio> element the app
 * plays through (HLS, WebRTC mix-minus, replay) with an AnalyserNode and reports, per element kind, the
 * peak level (dB, as AnalyserNode gives it) around each asked-for frequency. Absolute levels, not a ratio
 * to the floor: a decoded stream between tones is near digital silence, where any codec residue would
 * stand far above the median. Written as page source, since the test's TypeScript has no DOM.
 */

export interface ToneLevels {
  kind: string;
  /** frequency (Hz) → peak level in dB (a -18 dBFS sine reads about -35; silence below -100) */
  db: Record<string, number>;
}

/** Makes getUserMedia return the raw tone: voice processing would weaken a steady sine. */
export const RAW_MIC_SCRIPT = `
(() => {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => {
    if (!c || !c.audio) return original(c);
    const audio = typeof c.audio === 'object' ? c.audio : {};
    return original({ ...c, audio: { ...audio, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  };
})();
`;

export const PROBE_SCRIPT = `
(() => {
  const FFT = 8192;
  let ctx = null;
  const taps = new Map();
  function tap(el) {
    if (taps.has(el)) return taps.get(el);
    ctx = ctx || new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = FFT;
    analyser.smoothingTimeConstant = 0;
    let source;
    if (el.srcObject) {
      // WebRTC: the app's <audio> element plays the stream (so Web Audio gets samples); tap the stream.
      source = ctx.createMediaStreamSource(el.srcObject);
    } else {
      source = ctx.createMediaElementSource(el);
      analyser.connect(ctx.destination); // keep it audible as before
    }
    source.connect(analyser);
    const t = { analyser, stream: el.srcObject };
    taps.set(el, t);
    return t;
  }
  function levelsOf(analyser, freqs) {
    const data = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(data);
    const out = {};
    for (const f of freqs) {
      const bin = Math.round((f * FFT) / ctx.sampleRate);
      let peak = -Infinity;
      for (let i = Math.max(0, bin - 2); i <= Math.min(data.length - 1, bin + 2); i++) peak = Math.max(peak, data[i]);
      out[f] = Number.isFinite(peak) ? Math.round(peak * 10) / 10 : -200;
    }
    return out;
  }
  window.__probe = {
    levels(freqs) {
      const result = [];
      for (const el of document.querySelectorAll('audio[data-audio]')) {
        if (el.srcObject === null && !el.currentSrc) continue;
        let t = taps.get(el);
        if (t && el.srcObject && t.stream !== el.srcObject) { taps.delete(el); t = undefined; }
        t = t || tap(el);
        if (ctx.state === 'suspended') void ctx.resume();
        result.push({ kind: el.dataset.audio, db: levelsOf(t.analyser, freqs) });
      }
      return result;
    },
    kinds() {
      return Array.from(document.querySelectorAll('audio[data-audio]')).map((el) => el.dataset.audio);
    },
  };
})();
`;
