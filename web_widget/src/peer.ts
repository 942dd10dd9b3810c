/** The WebRTC connection that carries the candidate's microphone and camera to the server: an offer
 * posted to the signalling resource, trickled ICE candidates, and an ICE restart for the same peer id
 * after a network change. */

import type { Api } from "./api";

interface Answer { peer_id: string; sdp: string; type: "answer" }

export class LivePeer {
  private readonly pc: RTCPeerConnection;
  private peerId: string | null = null;
  private pending: RTCIceCandidateInit[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly api: Api, stream: MediaStream, iceServers: RTCIceServer[] = []) {
    this.pc = new RTCPeerConnection({ iceServers });
    stream.getTracks().forEach((track) => this.pc.addTrack(track, stream));
    this.pc.onicecandidate = (event) => {
      if (!event.candidate) return;
      const { candidate, sdpMid, sdpMLineIndex } = event.candidate;
      this.pending.push({ candidate, sdpMid, sdpMLineIndex });
      this.flush();
    };
  }

  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Offer (or, with ``restart``, offer an ICE restart for the same peer id) and apply the answer. */
  async negotiate(restart = false): Promise<void> {
    const offer = await this.pc.createOffer({ iceRestart: restart });
    await this.pc.setLocalDescription(offer);
    const body = { sdp: offer.sdp, type: "offer", ...(this.peerId ? { peer_id: this.peerId, restart } : {}) };
    const answer = await this.api.call<Answer>("POST", "/webrtc/offer", body);
    this.peerId = answer.peer_id;
    await this.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    this.flush();
  }

  close(): void {
    this.pc.getSenders().forEach((sender) => sender.track?.stop());
    this.pc.close();
    const peerId = this.peerId;
    this.peerId = null;
    if (peerId) this.api.call("DELETE", `/webrtc/offer/${encodeURIComponent(peerId)}`).catch(() => undefined);
  }

  private flush(): void {
    if (!this.peerId || this.pending.length === 0) return;
    const candidates = this.pending;
    this.pending = [];
    const peerId = this.peerId;
    this.flushing = this.flushing
      .then(() => this.api.call("PATCH", "/webrtc/offer", { peer_id: peerId, candidates }))
      .then(() => undefined, () => undefined);
  }
}
