//! The tap between real sockets: it forwards every byte unchanged, puts on the trace exactly
//! the events the connection decoder finds, with parents as trace sequence numbers, and
//! records them before the bytes reach the other side.

use std::sync::Arc;
use std::time::Duration;

use rtclab_trace::{Actor, Dir, Recorder, TraceEvent};
use rtclab_wire::conn::{ConnDecoder, ConnEvent};
use rtclab_wire::tap::{ClientDirectory, Tap, TapConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::traffic::{HELLO_MASKED, HELLO_UNMASKED, SWITCHING, UPGRADE, ws_frame};

const CLIENT: Actor = Actor::Client(3);

/// Each side sends its turn only once it has read the other's, so the tap sees the turns
/// in this order whatever pieces the sockets deliver.
fn script() -> Vec<(Dir, Vec<u8>)> {
    let up = Dir::ClientToServer;
    let down = Dir::ServerToClient;
    vec![
        (up, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        (down, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n".to_vec()),
        (up, UPGRADE.to_vec()),
        (down, [SWITCHING, &HELLO_UNMASKED].concat()),
        (up, HELLO_MASKED.to_vec()),
        (down, ws_frame(0x89, None, b"still there?", None)),
        (up, ws_frame(0x8A, Some([1, 2, 3, 4]), b"still there?", None)),
        (up, ws_frame(0x88, Some([5, 6, 7, 8]), &1000u16.to_be_bytes(), None)),
        (down, ws_frame(0x88, None, &1000u16.to_be_bytes(), None)),
    ]
}

/// What the tap must record: the decoder's events for the script, fed turn by turn, and how
/// many of them exist once each turn has been fed.
fn reference(turns: &[(Dir, Vec<u8>)]) -> (Vec<ConnEvent>, Vec<usize>) {
    let mut decoder = ConnDecoder::new(CLIENT);
    let mut events = Vec::new();
    let mut after_turn = Vec::new();
    for (dir, bytes) in turns {
        events.extend(decoder.feed(*dir, bytes, 0));
        after_turn.push(events.len());
    }
    events.extend(decoder.finish("server", 0));
    (events, after_turn)
}

/// Events of connection 1 on the trace, after its `tcp_open`.
fn traced(recorder: &Recorder) -> Vec<Arc<TraceEvent>> {
    recorder.snapshot().into_iter().filter(|e| e.conn == Some(1)).skip(1).collect()
}

/// Plays `side`'s part: writes its turns, reads the other's and checks them, and checks that
/// the trace held every event of a turn by the time its last byte arrived.
async fn play(stream: &mut TcpStream, side: Dir, turns: &[(Dir, Vec<u8>)], after_turn: &[usize], rec: &Recorder) {
    for (i, (dir, bytes)) in turns.iter().enumerate() {
        if *dir == side {
            stream.write_all(bytes).await.expect("write");
            continue;
        }
        let mut got = vec![0; bytes.len()];
        stream.read_exact(&mut got).await.expect("read");
        assert_eq!(&got, bytes, "forwarded unchanged");
        // The sender may already have sent its next turns, not the reader's.
        let run_end = turns[i..].iter().position(|(d, _)| d == &side).map_or(turns.len(), |n| i + n);
        let recorded = traced(rec).len();
        assert!(
            (after_turn[i]..=after_turn[run_end - 1]).contains(&recorded),
            "turn {i}: {recorded} events recorded when {side:?} read it, expected {}",
            after_turn[i]
        );
    }
}

#[tokio::test]
async fn the_tap_records_what_the_decoder_finds_before_forwarding() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let recorder = Recorder::new();
    let directory = ClientDirectory::default();
    let config = TapConfig {
        experiment: Arc::from("tap-test"),
        upstream: listener.local_addr().expect("addr"),
        recorder: recorder.clone(),
        directory: directory.clone(),
    };
    let tap = Tap::start(config).await.expect("tap");
    let turns = script();
    let (expected, after_turn) = reference(&turns);

    let server = tokio::spawn({
        let (turns, after_turn, recorder) = (turns.clone(), after_turn.clone(), recorder.clone());
        async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            // Dropping the stream at the end closes the connection: the server ends it.
            play(&mut stream, Dir::ServerToClient, &turns, &after_turn, &recorder).await
        }
    });
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    directory.register(socket.local_addr().expect("addr"), CLIENT);
    let client = async {
        let mut stream = socket.connect(tap.addr()).await.expect("connect");
        play(&mut stream, Dir::ClientToServer, &turns, &after_turn, &recorder).await;
        assert_eq!(stream.read(&mut [0; 16]).await.expect("read"), 0, "the server's close passed on");
    };
    tokio::time::timeout(Duration::from_secs(20), client).await.expect("the conversation ran");
    server.await.expect("server");
    assert!(tap.wait_idle(Duration::from_secs(5)).await, "the tap closed the connection");

    let traced = traced(&recorder);
    let seq_index = |seq: u64| traced.iter().position(|e| e.seq == seq).map(|i| i as u64);
    let got: Vec<_> = traced.iter().map(|e| (e.actor, e.dir, &e.kind, e.bytes, e.parent.and_then(seq_index))).collect();
    let want: Vec<_> = expected.iter().map(|e| (e.actor, e.dir, &e.kind, e.bytes, e.parent)).collect();
    assert_eq!(got, want);
    let times: Vec<u64> = traced.iter().map(|e| e.t_ns).collect();
    assert!(times.is_sorted(), "{times:?}");
}
