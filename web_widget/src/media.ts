/** The candidate's camera and microphone: opening them, listing choices, and a microphone level. */

export type DeviceProblem = "denied" | "unsupported";

export class DeviceError extends Error {
  constructor(readonly problem: DeviceProblem, message: string) {
    super(message);
  }
}

export async function openDevices(cameraId?: string, micId?: string): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new DeviceError("unsupported", "no getUserMedia here");
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: micId ? { deviceId: { exact: micId } } : true,
      video: cameraId ? { deviceId: { exact: cameraId } } : { width: { ideal: 640 }, height: { ideal: 480 } },
    });
  } catch (error) {
    throw new DeviceError("denied", String(error));
  }
}

export async function listDevices(kind: MediaDeviceKind): Promise<MediaDeviceInfo[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((d) => d.kind === kind && d.deviceId);
}

export function stopStream(stream: MediaStream | null): void {
  stream?.getTracks().forEach((track) => track.stop());
}

/** Reports the microphone's loudness (0..1) about ten times a second until stopped. */
export class LevelMeter {
  private readonly context: AudioContext;
  private readonly timer: number;

  constructor(stream: MediaStream, report: (level: number) => void) {
    this.context = new AudioContext();
    const analyser = this.context.createAnalyser();
    analyser.fftSize = 1024;
    this.context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    this.timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      report(Math.min(1, Math.sqrt(sum / samples.length) * 4));
    }, 100);
  }

  stop(): void {
    window.clearInterval(this.timer);
    void this.context.close();
  }
}
