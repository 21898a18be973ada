// A voice recording with MediaRecorder: start, stop, get a Blob. The server checks the type
// and length again (app/services/media.py); this only picks a format the browser can make.

const TYPES = [
  "audio/webm;codecs=opus",
  "audio/ogg;codecs=opus",
  "audio/mp4",
  "audio/webm",
];

export function recordingSupported() {
  return typeof window.MediaRecorder === "function" && !!navigator.mediaDevices?.getUserMedia;
}

function pickType() {
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
}

export function extensionFor(mime) {
  if (mime.includes("ogg")) return "ogg";
  if (mime.includes("mp4")) return "m4a";
  return "webm";
}

export class Recorder {
  constructor({ maxSeconds = 600, onTick = () => {} } = {}) {
    this.maxSeconds = maxSeconds;
    this.onTick = onTick;
    this.recorder = null;
    this.stream = null;
    this.chunks = [];
    this.started = 0;
    this.timer = null;
  }

  get recording() {
    return this.recorder?.state === "recording";
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const mimeType = pickType();
    this.recorder = new MediaRecorder(this.stream, mimeType ? { mimeType } : undefined);
    this.chunks = [];
    this.recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) this.chunks.push(event.data);
    });
    this.done = new Promise((resolve) => {
      this.recorder.addEventListener("stop", () => {
        const type = this.recorder.mimeType || mimeType || "audio/webm";
        resolve({ blob: new Blob(this.chunks, { type }), seconds: this.elapsed() });
      });
    });
    // A timeslice keeps memory steady on long recordings and survives a crashed tab better.
    this.recorder.start(1000);
    this.started = performance.now();
    this.timer = setInterval(() => {
      const seconds = this.elapsed();
      this.onTick(seconds);
      if (seconds >= this.maxSeconds) this.stop();
    }, 250);
  }

  elapsed() {
    return Math.round((performance.now() - this.started) / 100) / 10;
  }

  async stop() {
    if (!this.recorder || this.recorder.state === "inactive") return this.done;
    clearInterval(this.timer);
    this.recorder.stop();
    for (const track of this.stream.getTracks()) track.stop();
    return this.done;
  }
}
