import type { TraceEvent } from '../types';
import { headerValue } from './summary';

/** One or two sentences a newcomer needs to read an event, or null when it speaks for itself. */
export function explain(e: TraceEvent): string | null {
  const k = e.kind;
  switch (k.type) {
    case 'tcp_open':
      return 'A client opened a TCP connection. The tap accepted it and opened its own to the server, so it sees every byte both ways.';
    case 'tcp_close':
      return `The connection ended. The counters are every byte the tap forwarded on it; the events of this connection add up to them.`;
    case 'http_request':
      if (/since=|poll|messages/i.test(k.target) && e.experiment === 'polling')
        return 'A poll: the client asks whether anything is new, whether or not there is.';
      if (e.experiment === 'long-polling') return 'A long poll: the server holds this request open until a message arrives or it times out.';
      if (headerValue(k.headers, 'upgrade')?.toLowerCase() === 'websocket')
        return 'An HTTP request asking to switch this connection to the WebSocket protocol (Upgrade: websocket).';
      if ((headerValue(k.headers, 'accept') ?? '').includes('text/event-stream'))
        return 'The client asks for an event stream: one response that stays open and carries server-sent events.';
      return null;
    case 'http_response':
      if (k.status === 204) return 'No Content: the server had nothing new. These empty answers are the cost of polling.';
      if (k.status === 101) return 'Switching Protocols: from here on this connection speaks WebSocket frames, not HTTP.';
      if (k.streaming) return 'The response head of a stream: the body stays open and each event below arrives on it.';
      if (k.status >= 400) return 'An error status: the server refused or failed the request.';
      return null;
    case 'sse_event':
      return k.dispatched
        ? 'One server-sent event: field lines ending with a blank line. Its id lets a reconnecting client resume with Last-Event-ID.'
        : 'A block without data: browsers dispatch nothing for it. Here it sets the reconnection delay (retry).';
    case 'sse_comment':
      return 'A comment line (starting with a colon). Servers send these as keep-alives; clients ignore them.';
    case 'ws_handshake':
      return k.accept_valid
        ? 'The server proved it understood the upgrade: Sec-WebSocket-Accept is base64(SHA-1(key + RFC 6455 GUID)), and it matches.'
        : 'Sec-WebSocket-Accept does not match the key: a browser would refuse this connection.';
    case 'ws_frame':
      if (k.opcode === 9) return 'A ping: the other side must answer with a pong carrying the same payload.';
      if (k.opcode === 10) return 'A pong: the answer to a ping (or an unsolicited heartbeat).';
      if (k.opcode === 8) return 'A close frame: this side wants to end the connection; the other answers with a close of its own.';
      if (e.dir === 'client_to_server' && k.masked)
        return 'Client-to-server frames are always masked: the payload is XORed with the 4-byte mask key (RFC 6455 §5.3).';
      if (e.dir === 'server_to_client' && !k.masked) return 'Server frames are never masked. The header here is only 2 bytes for a short payload.';
      return null;
    case 'message_published':
      return 'The application published a message. Follow its deliveries (the highlighted events) to see how each technique carried it.';
    case 'message_delivered':
      return 'A client handed this message to the application. The latency is from publish to here.';
    case 'protocol_error':
      return 'The decoder met bytes that break the protocol at this offset.';
    case 'note':
      return null;
  }
}
