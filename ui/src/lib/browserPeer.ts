// This page as a WebRTC peer: a real RTCPeerConnection that joins the lab's signalling room
// over WebSocket, offers a data channel, trickles its candidates (the lab's JSON format:
// docs/signalling.md) and reads its own candidate pairs from getStats().

export interface PagePair {
  id: string;
  local: string;
  localType: string;
  remote: string;
  remoteType: string;
  state: string;
  nominated: boolean;
  requestsSent: number;
  responsesReceived: number;
  rttMs: number | null;
  bytesSent: number;
  bytesReceived: number;
  selected: boolean;
}

export interface PageLine {
  atMs: number;
  text: string;
}

export interface BrowserPeer {
  send(text: string): void;
  stats(): Promise<PagePair[]>;
  close(): void;
}

/** Whether this page's engine has WebRTC at all (Linux's WebKitGTK ships without it). */
export function hasWebRtc(): boolean {
  return typeof RTCPeerConnection !== 'undefined';
}

/** Joins the room at `signalUrl` and offers; `log` gets each step, `message` each text received. */
export function startBrowserPeer(signalUrl: string, log: (line: PageLine) => void, message: (text: string) => void): BrowserPeer {
  const t0 = performance.now();
  const note = (text: string) => log({ atMs: performance.now() - t0, text });
  const pc = new RTCPeerConnection({ iceServers: [] });
  const channel = pc.createDataChannel('chat');
  const ws = new WebSocket(signalUrl);
  const send = (msg: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(msg));

  pc.onicecandidate = (e) => {
    if (e.candidate) {
      note(`candidate ${e.candidate.candidate}`);
      send({ type: 'candidate', candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex });
    } else {
      send({ type: 'end-of-candidates' });
    }
  };
  pc.oniceconnectionstatechange = () => note(`ICE ${pc.iceConnectionState}`);
  pc.onconnectionstatechange = () => note(`connection ${pc.connectionState}`);
  channel.onopen = () => note('data channel "chat" open');
  channel.onmessage = (e) => message(String(e.data));
  ws.onopen = async () => {
    note('joined the signalling room');
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      send({ type: 'offer', sdp: offer.sdp });
      note('offer sent');
    } catch (err) {
      // Hung up before the offer was made.
      note(`no offer: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  ws.onmessage = async (e) => {
    const msg = JSON.parse(String(e.data));
    try {
      if (msg.type === 'answer') {
        await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        note('answer applied');
      } else if (msg.type === 'candidate') {
        await pc.addIceCandidate({ candidate: msg.candidate, sdpMid: msg.sdpMid ?? '0', sdpMLineIndex: msg.sdpMLineIndex ?? 0 });
        note(`Rust peer's candidate ${msg.candidate}`);
      } else if (msg.error) {
        note(`signalling server: ${msg.error}`);
      }
    } catch (err) {
      note(`refused: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  ws.onerror = () => note('the signalling connection failed');

  return {
    send(text: string) {
      if (channel.readyState === 'open') channel.send(text);
    },
    async stats() {
      // A call hung up while its stats were read has none left to show.
      const report = await pc.getStats().catch(() => null);
      if (!report) return [];
      const byId = new Map<string, any>();
      report.forEach((s: any) => byId.set(s.id, s));
      let selectedId: string | undefined;
      report.forEach((s: any) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) selectedId = s.selectedCandidatePairId;
      });
      const pairs: PagePair[] = [];
      report.forEach((s: any) => {
        if (s.type !== 'candidate-pair') return;
        const l = byId.get(s.localCandidateId);
        const r = byId.get(s.remoteCandidateId);
        const addr = (c: any) => (c ? `${c.address ?? c.ip ?? '(address hidden)'}:${c.port}` : '?');
        pairs.push({
          id: s.id,
          local: addr(l),
          localType: l?.candidateType ?? '?',
          remote: addr(r),
          remoteType: r?.candidateType ?? '?',
          state: s.state,
          nominated: !!s.nominated,
          requestsSent: s.requestsSent ?? 0,
          responsesReceived: s.responsesReceived ?? 0,
          rttMs: s.currentRoundTripTime != null ? s.currentRoundTripTime * 1000 : null,
          bytesSent: s.bytesSent ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          selected: s.id === selectedId,
        });
      });
      return pairs;
    },
    close() {
      channel.close();
      pc.close();
      ws.close();
    },
  };
}
