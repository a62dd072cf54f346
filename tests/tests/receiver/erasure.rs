//! The user's reset reaches the data: `serve --retain-days` deletes what is older than the limit
//! (events and failure records each their own), and `forget` erases one installation's lines
//! from every file while clients send, losing no one else's acknowledged event and tearing no
//! line, and leaves every file whole when it is killed at any moment.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![cfg(unix)]

#[path = "../../support/receiver.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prost::Message as _;
use serde_json::Value;
use support::{Receiver, examples, request, schemas, today, werf_spans};

/// The committed examples, sent by the installation `user`.
fn examples_of(user: &str) -> Vec<String> {
    examples()
        .iter()
        .map(|line| line.replacen("\"userID\":\"\"", &format!("\"userID\":\"{user}\""), 1))
        .collect()
}

/// `telemetry-receiver forget --data DATA --user-id USER`.
fn forget(data: &Path, user: &str) -> Output {
    Command::new(telemetry_tests::receiver())
        .args(["forget", "--data"])
        .arg(data)
        .args(["--user-id", user])
        .output()
        .unwrap()
}

/// Every line under `data`'s `folder`, each of which must be JSON, by its `userID`.
fn lines_by_user(data: &Path, folder: &str) -> BTreeMap<String, usize> {
    let mut users = BTreeMap::new();
    for line in support::read_lines(&data.join(folder)) {
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("a torn line ({error}): {line:.200}"));
        let user = value["userID"].as_str().unwrap_or_default().to_owned();
        *users.entry(user).or_default() += 1;
    }
    users
}

#[test]
fn serve_keeps_the_days_it_is_told_to_and_deletes_the_rest() {
    let data = tempfile::tempdir().unwrap();
    let day = |back: u64| {
        let output = Command::new("date")
            .args(["-u", "+%F", "-d", &format!("{back} days ago")])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    for folder in ["events", "failed"] {
        std::fs::create_dir_all(data.path().join(folder)).unwrap();
        for back in 0..31 {
            let file = data.path().join(format!("{folder}/{}.jsonl", day(back)));
            std::fs::write(file, format!("{}\n", examples()[0])).unwrap();
        }
    }
    let receiver = Receiver::start_in(
        &schemas(),
        data,
        &["--retain-days", "7", "--retain-failed-days", "2"],
    );
    let names = |folder: &str| {
        let mut names: Vec<String> = std::fs::read_dir(receiver.data.path().join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let kept = |days: u64| -> Vec<String> {
        let mut kept: Vec<String> = (0..=days)
            .map(|back| format!("{}.jsonl", day(back)))
            .collect();
        kept.sort();
        kept
    };
    assert_eq!(names("events"), kept(7));
    assert_eq!(names("failed"), kept(2));
    // It serves on, into today's file.
    assert_eq!(receiver.export(werf_spans(&examples()[..1])).status, 200);
    let today = receiver
        .data
        .path()
        .join(format!("events/{}.jsonl", today()));
    assert_eq!(std::fs::read_to_string(today).unwrap().lines().count(), 2);
}

#[test]
fn forget_erases_one_installation_while_four_clients_send_and_loses_no_one_else() {
    let receiver = Arc::new(Receiver::start(&[]));
    let victim = "victim-installation-7f3a";
    for _ in 0..10 {
        assert_eq!(
            receiver.export(werf_spans(&examples_of(victim))).status,
            200
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (receiver, stop) = (Arc::clone(&receiver), Arc::clone(&stop));
            std::thread::spawn(move || {
                let user = format!("client-{client}");
                let body = request(werf_spans(&examples_of(&user))).encode_to_vec();
                let mut acknowledged = 0;
                while !stop.load(Ordering::Relaxed) {
                    if receiver.export_body(&body).status == 200 {
                        acknowledged += examples().len();
                    }
                }
                (user, acknowledged)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let output = forget(receiver.data.path(), victim);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("removed 70 line(s) from events/{}.jsonl", today())),
        "{stdout}"
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let acknowledged: BTreeMap<String, usize> = clients
        .into_iter()
        .map(|client| client.join().unwrap())
        .collect();
    let stored = lines_by_user(receiver.data.path(), "events");
    assert!(!stored.contains_key(victim));
    for (user, count) in &acknowledged {
        assert!(*count > 0, "{user} sent nothing");
        assert_eq!(stored.get(user), Some(count), "{user}");
    }
    let erasures = std::fs::read_to_string(receiver.data.path().join("erasures.jsonl")).unwrap();
    assert!(!erasures.contains(victim), "{erasures}");
    assert!(erasures.contains("\"lines\":70"), "{erasures}");
}

/// Some nanoseconds of the clock: a different pause each time, no crate needed.
fn random_below(bound: u64) -> u64 {
    u64::from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos(),
    ) % bound
}

#[test]
fn forget_killed_at_any_moment_leaves_every_file_whole() {
    let data = tempfile::tempdir().unwrap();
    let events = data.path().join("events");
    std::fs::create_dir_all(&events).unwrap();
    let victim = "victim-installation-0b1d";
    let mut expected = BTreeMap::new();
    for day in ["2026-12-01", "2026-12-02", "2026-12-03"] {
        let mut text = String::new();
        for round in 0..1_000 {
            let user = if round % 10 == 0 {
                victim.to_owned()
            } else {
                format!("user-{}", round % 7)
            };
            for line in examples_of(&user) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        std::fs::write(events.join(format!("{day}.jsonl")), &text).unwrap();
        let lines = text.lines().count();
        expected.insert(
            format!("{day}.jsonl"),
            (lines, lines - 100 * examples().len()),
        );
    }
    let pristine = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        let _ = std::fs::remove_dir_all(to.join("events"));
        let status = Command::new("cp")
            .arg("-a")
            .arg(from.join("events"))
            .arg(to)
            .status();
        assert!(status.unwrap().success());
    };
    copy(data.path(), pristine.path());
    // How long a whole run takes, to kill the others somewhere inside it.
    let started = Instant::now();
    assert!(forget(data.path(), victim).status.success());
    let whole_run = u64::try_from(started.elapsed().as_micros())
        .unwrap()
        .max(1_000);
    let mut killed_midway = 0;
    for _ in 0..12 {
        copy(pristine.path(), data.path());
        let mut child = Command::new(telemetry_tests::receiver())
            .args(["forget", "--data"])
            .arg(data.path())
            .args(["--user-id", victim])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(random_below(whole_run)));
        if child.try_wait().unwrap().is_none() {
            killed_midway += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        // Each file is the old one or the new one, whole.
        for (name, (before, after)) in &expected {
            let text = std::fs::read_to_string(events.join(name)).unwrap();
            assert!(text.ends_with('\n'), "{name} torn");
            let lines = text.lines().count();
            assert!(lines == *before || lines == *after, "{name}: {lines} lines");
            for line in text.lines() {
                serde_json::from_str::<Value>(line).unwrap();
            }
        }
    }
    assert!(
        killed_midway > 0,
        "forget always finished before it was killed"
    );
    assert!(forget(data.path(), victim).status.success());
    let stored = lines_by_user(data.path(), "events");
    assert!(!stored.contains_key(victim));
    assert_eq!(
        stored.values().sum::<usize>(),
        expected.values().map(|(_, after)| after).sum::<usize>()
    );
}
