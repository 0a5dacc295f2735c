//! The lab server answers bad input per protocol and keeps serving everyone else.
//! These tests speak raw bytes, so nothing in a client library hides what goes on the wire.

use std::net::SocketAddr;
use std::time::Duration;

use rtclab_techniques::hub::Hub;
use rtclab_techniques::server::{self, ServerConfig, close_code};
use rtclab_wire::ws::{WsItem, WsParser};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

async fn start() -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, Hub::default(), ServerConfig::default(), async {
        let _ = rx.await;
    }));
    (addr, tx)
}

async fn read_until_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return out,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Opens a WebSocket on `path` by hand and returns the stream after the 101.
async fn ws_handshake(addr: SocketAddr, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).await.unwrap(), 1, "connection closed during the handshake");
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    s
}

/// A masked client frame.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [1u8, 2, 3, 4];
    let mut f = vec![first];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n <= 0xffff => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

fn close_code_in(bytes: &[u8]) -> Option<u16> {
    let mut p = WsParser::new(false);
    p.push(bytes).into_iter().chain(p.finish()).find_map(|i| match i {
        WsItem::Frame(f) if f.opcode == 8 => f.close_code,
        _ => None,
    })
}

async fn echo_works(addr: SocketAddr) {
    let mut s = ws_handshake(addr, "/echo").await;
    s.write_all(&frame(0x81, b"still here")).await.unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).await.unwrap();
    assert_eq!(&buf[2..n], b"still here");
}

#[tokio::test]
async fn garbage_http_gets_400_and_the_server_keeps_serving() {
    let (addr, _stop) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"THIS IS NOT HTTP\x00\x01\r\n\r\n").await.unwrap();
    let answer = read_until_close(&mut s).await;
    assert!(answer.starts_with(b"HTTP/1.1 400"), "{}", String::from_utf8_lossy(&answer));

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /messages?since=abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_until_close(&mut s).await;
    assert!(answer.starts_with(b"HTTP/1.1 400"), "{}", String::from_utf8_lossy(&answer));

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_until_close(&mut s).await;
    assert!(answer.starts_with(b"HTTP/1.1 204"), "{}", String::from_utf8_lossy(&answer));
}

#[tokio::test]
async fn websocket_violations_get_the_rfc_close_codes() {
    let (addr, _stop) = start().await;
    let cases: [(&str, Vec<u8>, u16); 4] = [
        ("reserved opcode", frame(0x83, b"x"), close_code::PROTOCOL_ERROR),
        ("unmasked client frame", vec![0x81, 0x02, b'h', b'i'], close_code::PROTOCOL_ERROR),
        ("invalid UTF-8 text", frame(0x81, &[0xff, 0xfe, 0xfd]), close_code::INVALID_PAYLOAD),
        ("message too big", frame(0x82, &vec![0u8; server::MAX_MESSAGE_BYTES + 10]), close_code::MESSAGE_TOO_BIG),
    ];
    for (what, bytes, want) in cases {
        let mut s = ws_handshake(addr, "/echo").await;
        let _ = s.write_all(&bytes).await;
        let answer = read_until_close(&mut s).await;
        assert_eq!(close_code_in(&answer), Some(want), "{what}: got {answer:02x?}");
        echo_works(addr).await;
    }
}

#[tokio::test]
async fn close_codes_are_echoed_and_shutdown_says_going_away() {
    let (addr, stop) = start().await;
    let mut payload = 4001u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"bye");
    let mut s = ws_handshake(addr, "/echo").await;
    s.write_all(&frame(0x88, &payload)).await.unwrap();
    let answer = read_until_close(&mut s).await;
    assert_eq!(close_code_in(&answer), Some(4001));

    let mut s = ws_handshake(addr, "/ws").await;
    let _ = stop.send(());
    let answer = read_until_close(&mut s).await;
    assert_eq!(close_code_in(&answer), Some(close_code::GOING_AWAY));
}
