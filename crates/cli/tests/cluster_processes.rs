//! The scaling lab with every node its own process: a node SIGKILLed mid-stream, its clients
//! recovering through Redis, the nodes' memory per connection read from /proc; and the
//! connection benchmark's load processes.

use std::process::Command;

fn rtc_lab_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_rtc-lab")).args(args).output().expect("rtc-lab runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn a_sigkilled_node_process_loses_no_message_and_its_memory_per_connection_is_measured() {
    let r = rtc_lab_json(&[
        "cluster",
        "--processes",
        "--redis",
        "local",
        "--nodes",
        "3",
        "--clients",
        "30",
        "--messages",
        "100",
        "--rate",
        "200",
        "--kill-node",
        "2",
        "--json",
    ]);
    assert_eq!(r["moved"], 10, "{r}");
    assert_eq!(r["recovered"], 10, "{r}");
    assert_eq!((r["lost"].as_u64(), r["duplicates"].as_u64(), r["out_of_order"].as_u64()), (Some(0), Some(0), Some(0)));
    assert_eq!(r["delivered"], 3000, "{r}");
    let kib = r["mem_per_conn_kib"].as_f64().expect("measured with --processes");
    assert!(kib > 0.0 && kib < 64.0, "{kib} KiB per connection");
}

#[test]
fn processes_without_redis_are_refused_with_the_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_rtc-lab")).args(["cluster", "--processes"]).output().unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("--processes needs --redis"), "{e}");
}

#[test]
fn the_connection_benchmark_connects_every_client_and_times_every_copy() {
    let r = rtc_lab_json(&[
        "bench",
        "cluster-connections",
        "--clients",
        "300",
        "--nodes",
        "2",
        "--messages",
        "2",
        "--json",
    ]);
    assert_eq!((r["subscribed"].as_u64(), r["failed"].as_u64()), (Some(300), Some(0)), "{r}");
    assert_eq!(r["received"], 600, "every client got both broadcasts: {r}");
    assert!(r["fanout_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(r["mem_per_conn_kib"].as_f64().unwrap() > 0.0);
}
