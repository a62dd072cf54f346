//! The receiver on the open internet: floods of idle and half-header connections, clients that
//! trickle their bodies, tiny requests that expand (empty spans, gzip, error floods) leave
//! normal clients served and memory bounded; and the edges of HTTP (HTTP/1.0 without a length,
//! a half-closed client, deflate and zstd bodies) get their answers.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![cfg(target_os = "linux")]

#[path = "../../support/receiver.rs"]
mod support;

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use prost::Message as _;
use support::{Receiver, WATCHDOG, examples, gzip, request, werf_spans};

/// The 99th percentile of `latencies`.
fn p99(mut latencies: Vec<Duration>) -> Duration {
    latencies.sort();
    latencies[(latencies.len() * 99).div_ceil(100) - 1]
}

/// Sends `count` exports of one event, each on a connection of its own; returns how long each
/// took to be answered 200.
fn normal_client(receiver: &Receiver, count: usize) -> Vec<Duration> {
    let body = request(werf_spans(&examples()[..1])).encode_to_vec();
    (0..count)
        .map(|_| {
            let started = Instant::now();
            let answer = support::post(
                &support::agent(),
                &receiver.url(),
                "application/x-protobuf",
                None,
                &body,
            );
            assert_eq!(answer.status, 200, "{}", answer.text());
            started.elapsed()
        })
        .collect()
}

/// Keeps `count` connections open to `address`, each sending nothing or half a head, opening a
/// new one for each the receiver cuts, until `stop`.
fn flood(address: String, count: usize, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let open = |index: usize| {
            let stream = TcpStream::connect(&address).ok()?;
            stream.set_nonblocking(true).ok()?;
            if index % 2 == 1 {
                let _ = (&stream).write(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-");
            }
            Some(stream)
        };
        let mut streams: Vec<Option<TcpStream>> = (0..count).map(open).collect();
        let mut renewed = 0;
        while !stop.load(Ordering::Relaxed) {
            for (index, slot) in streams.iter_mut().enumerate() {
                // Anything but "nothing to read yet" (an answer, the end, an error) is a
                // connection the receiver cut.
                let cut = slot.as_ref().is_none_or(|stream| {
                    let mut byte = [0; 1];
                    !matches!(
                        (&*stream).read(&mut byte),
                        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock
                    )
                });
                if cut {
                    *slot = open(index);
                    renewed += 1;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        renewed
    })
}

#[test]
fn an_idle_connection_flood_leaves_normal_clients_served() {
    let receiver = Receiver::start(&["--header-timeout", "2"]);
    let unattacked = p99(normal_client(&receiver, 100));
    let stop = Arc::new(AtomicBool::new(false));
    let flooding = flood(receiver.address.clone(), 2_000, Arc::clone(&stop));
    // Past the header timeout: the flood's connections are cut and renewed while the normal
    // client is served.
    std::thread::sleep(Duration::from_secs(3));
    let mut latencies = normal_client(&receiver, 100);
    std::thread::sleep(Duration::from_secs(2));
    latencies.extend(normal_client(&receiver, 100));
    stop.store(true, Ordering::Relaxed);
    let renewed = flooding.join().unwrap();
    assert!(
        renewed >= 1_000,
        "the flood's connections were cut {renewed} times"
    );
    let p99 = p99(latencies);
    eprintln!(
        "under the flood, 99% answered within {p99:?} (unattacked {unattacked:?}); peak memory \
         {} MiB",
        receiver.peak_memory() >> 20
    );
    assert!(p99 < Duration::from_secs(1), "99% within {p99:?}");
}

#[test]
fn clients_that_trickle_their_bodies_leave_others_served() {
    let receiver = Receiver::start(&["--request-timeout", "30"]);
    let unattacked = p99(normal_client(&receiver, 100));
    let mut slow: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut stream = TcpStream::connect(&receiver.address).unwrap();
            stream
                .write_all(
                    b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n",
                )
                .unwrap();
            stream
        })
        .collect();
    receiver.wait_receiving(64);
    let mut latencies = Vec::new();
    for _ in 0..5 {
        // One byte a second from each.
        for stream in &mut slow {
            stream.write_all(b"\x0a").unwrap();
        }
        latencies.extend(normal_client(&receiver, 20));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(receiver.status()["receiving"], 64);
    let p99 = p99(latencies);
    eprintln!(
        "beside 64 trickling clients, 99% answered within {p99:?} (unattacked {unattacked:?}); \
         peak memory {} MiB",
        receiver.peak_memory() >> 20
    );
    assert!(p99 < Duration::from_secs(1), "99% within {p99:?}");
}

/// A request of `count` empty spans, as protobuf.
fn empty_spans(count: usize) -> Vec<u8> {
    let mut scope = Vec::with_capacity(count * 2);
    for _ in 0..count {
        scope.extend_from_slice(&[0x12, 0x00]);
    }
    let mut resource = vec![0x12];
    prost::encoding::encode_varint(scope.len() as u64, &mut resource);
    resource.extend_from_slice(&scope);
    let mut body = vec![0x0a];
    prost::encoding::encode_varint(resource.len() as u64, &mut body);
    body.extend_from_slice(&resource);
    body
}

#[test]
fn requests_that_expand_are_refused_before_they_cost_and_memory_stays_bounded() {
    let receiver = Receiver::start(&[]);
    normal_client(&receiver, 100);
    let before = receiver.peak_memory();
    let million = empty_spans(1_000_000);
    assert!(million.len() < 3 << 20);
    let eight_million = gzip(&empty_spans(8_000_000));
    assert!(eight_million.len() < 100 << 10, "{}", eight_million.len());
    // One CommandStarted whose commandOptions are 400,000 wrong items.
    let mut line: serde_json::Value = serde_json::from_str(
        examples()
            .iter()
            .find(|line| line.contains("CommandStarted"))
            .unwrap(),
    )
    .unwrap();
    line["eventData"]["commandOptions"] = serde_json::Value::Array(vec![1.into(); 400_000]);
    let flood_of_errors = gzip(&request(werf_spans(&[line.to_string()])).encode_to_vec());
    // Sixteen at once of each worst case.
    for (what, body, encoding, status) in [
        ("a million empty spans", &million, None, 413),
        (
            "eight million empty spans, gzip",
            &eight_million,
            Some("gzip"),
            413,
        ),
        (
            "400,000 schema errors, gzip",
            &flood_of_errors,
            Some("gzip"),
            200,
        ),
    ] {
        let answers: Vec<_> = (0..16)
            .map(|_| {
                let (url, body) = (receiver.url(), body.clone());
                std::thread::spawn(move || {
                    support::post(
                        &support::agent(),
                        &url,
                        "application/x-protobuf",
                        encoding,
                        &body,
                    )
                })
            })
            .collect();
        for answer in answers {
            let answer = answer.join().unwrap();
            // 429 when the sixteen slots were busy: overload answered, not queued.
            assert!(
                answer.status == status || answer.status == 429,
                "{what}: {} {}",
                answer.status,
                answer.text()
            );
            assert!(
                answer.body.len() < 4096,
                "{what}: {} bytes",
                answer.body.len()
            );
        }
    }
    let status = receiver.status();
    assert!(
        status["refused"]["requests"]["413 too_many_spans"]
            .as_u64()
            .unwrap()
            >= 2
    );
    // Each error flood is one failure record of 8 errors and a count.
    for record in receiver.failures() {
        assert_eq!(record["errors"].as_array().unwrap().len(), 8);
        assert!(
            record["message"]
                .as_str()
                .unwrap()
                .contains("in 400000 place(s) (the first 8 kept)"),
            "{}",
            record["message"]
        );
    }
    let peak = receiver.peak_memory();
    eprintln!(
        "peak resident memory: {} MiB (at start {} MiB)",
        peak >> 20,
        before >> 20
    );
    // The README's bound.
    assert!(peak < 1 << 30, "peak {} MiB", peak >> 20);
}

#[test]
fn http_1_0_without_a_length_gets_411_and_a_half_closed_client_its_answer() {
    let receiver = Receiver::start(&[]);
    let answer = support::raw(
        &receiver.address,
        b"POST /v1/traces HTTP/1.0\r\nContent-Type: application/x-protobuf\r\n\r\nabc",
    );
    assert!(
        answer.starts_with("HTTP/1.0 411 ") || answer.starts_with("HTTP/1.1 411 "),
        "{answer}"
    );

    let body = request(werf_spans(&examples()[..1])).encode_to_vec();
    let mut stream = TcpStream::connect(&receiver.address).unwrap();
    stream.set_read_timeout(Some(WATCHDOG)).unwrap();
    stream
        .write_all(
            format!(
                "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    stream.write_all(&body).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer:?}");
    assert_eq!(receiver.lines("events").len(), 1);
}

#[test]
fn deflate_and_zstd_bodies_are_taken_as_the_collector_takes_them() {
    let receiver = Receiver::start(&[]);
    let lines = examples();
    let body = request(werf_spans(&lines)).encode_to_vec();
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&body).unwrap();
    let zlib = zlib.finish().unwrap();
    let zstd =
        ruzstd::encoding::compress_to_vec(&body[..], ruzstd::encoding::CompressionLevel::Fastest);
    for (encoding, compressed) in [("deflate", &zlib), ("zlib", &zlib), ("zstd", &zstd)] {
        let answer = receiver.post("application/x-protobuf", Some(encoding), compressed);
        assert_eq!(answer.status, 200, "{encoding}: {}", answer.text());
    }
    assert_eq!(receiver.lines("events").len(), 3 * lines.len());
    let answer = receiver.post("application/x-protobuf", Some("br"), &body);
    assert_eq!(answer.status, 415);
}

#[test]
fn http_2_with_prior_knowledge_is_served_as_the_collector_serves_it() {
    let receiver = Receiver::start(&[]);
    let body = request(werf_spans(&examples()[..2])).encode_to_vec();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, version) = runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(&receiver.address)
            .await
            .unwrap();
        let (mut sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(stream),
        )
        .await
        .unwrap();
        tokio::spawn(connection);
        let request = hyper::Request::post(receiver.url())
            .header("content-type", "application/x-protobuf")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        (response.status().as_u16(), response.version())
    });
    assert_eq!((status, version), (200, hyper::Version::HTTP_2));
    assert_eq!(receiver.lines("events").len(), 2);
}

#[test]
fn a_per_peer_cap_closes_an_addresss_connections_past_it() {
    let receiver = Receiver::start(&["--max-connections-per-peer", "2"]);
    let idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&receiver.address).unwrap())
        .collect();
    // Accepted in turn: the third is closed at once, without an answer.
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(&receiver.address).unwrap();
    third.set_read_timeout(Some(WATCHDOG)).unwrap();
    let _ = third.write_all(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = Vec::new();
    let _ = third.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // Once one of the two closes, the address is served again.
    drop(idle);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        receiver.status()["refused"]["requests"],
        serde_json::json!({})
    );
}

#[test]
fn bodies_arriving_at_once_share_a_bounded_room() {
    let receiver = Receiver::start(&["--max-receiving-bytes", "100000"]);
    // A client that sent 90 KB of a 200 KB body, and waits.
    let mut holding = TcpStream::connect(&receiver.address).unwrap();
    holding
        .write_all(
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 200000\r\n\r\n",
        )
        .unwrap();
    holding.write_all(&vec![0x0a; 90_000]).unwrap();
    receiver.wait_receiving(1);
    std::thread::sleep(Duration::from_millis(200));
    // No room for another 20 KB: answered 429, after its body was read through.
    let lines: Vec<String> = examples().into_iter().cycle().take(40).collect();
    let body = request(werf_spans(&lines)).encode_to_vec();
    assert!(body.len() > 12_000, "{}", body.len());
    let answer = receiver.export_body(&body);
    assert_eq!(answer.status, 429, "{}", answer.text());
    // Once the room is free again, the same export goes through.
    drop(holding);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(receiver.export_body(&body).status, 200);
    assert_eq!(
        receiver.status()["refused"]["requests"]["429 receiving_full"],
        1
    );
}

#[test]
fn a_client_that_writes_its_whole_body_first_sees_a_refusal_of_its_headers() {
    let receiver = Receiver::start(&[]);
    let body = vec![b'x'; 4 << 20];
    let mut request =
        format!("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes();
    request.extend_from_slice(&body);
    let answer = support::raw(&receiver.address, &request);
    assert!(answer.starts_with("HTTP/1.1 415 "), "{answer:.200}");
    assert_eq!(
        receiver.status()["refused"]["requests"]["415 unsupported_media_type"],
        1
    );
}
