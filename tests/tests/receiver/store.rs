//! The store as an operator's disk treats it: a file system that fills and frees again and
//! again leaves not one torn or glued line, and a refusal means nothing of the request was
//! stored; a torn tail left by anything else is moved aside, never glued to; a day's file moved
//! or deleted while the receiver runs is replaced, not written to unseen; a second receiver on
//! the same folder is refused, naming the first.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]
#![cfg(target_os = "linux")]

#[path = "../../support/receiver.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message as _;
use serde_json::Value;
use support::{Receiver, examples, request, schemas, today, werf_spans};

/// A tmpfs of `size` mounted on a folder of its own, unmounted when dropped.
struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    fn new(size: &str) -> Self {
        let mount = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(mount.path())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mounting a tmpfs needs root (as CI runs): {status}"
        );
        SmallDisk { mount }
    }

    fn path(&self) -> &Path {
        self.mount.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.mount.path()).status();
    }
}

/// Fills the rest of the disk at `dir` with a file; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4096"])
        .arg(format!("of={}", path.display()))
        .output()
        .unwrap();
    path
}

/// Every line of the events folder, each of which must be a whole envelope.
fn whole_lines(receiver: &Receiver) -> Vec<String> {
    let lines = receiver.lines("events");
    for line in &lines {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("a torn or glued line ({error}): {line:.200}"));
        assert!(value["eventType"].is_string(), "{line:.200}");
    }
    lines
}

#[test]
fn a_disk_that_fills_and_frees_again_and_again_never_tears_a_line() {
    let disk = SmallDisk::new("2m");
    let data = tempfile::tempdir_in(disk.path()).unwrap();
    let receiver = Receiver::start_in(&schemas(), data, &[]);
    // Requests of 40 events: a full disk fails them part-way through their lines.
    let lines: Vec<String> = examples().into_iter().cycle().take(40).collect();
    let body = request(werf_spans(&lines)).encode_to_vec();
    let mut acknowledged = 0;
    for round in 0..4 {
        let filler = fill(disk.path());
        let mut refused = 0;
        for _ in 0..20 {
            match receiver.export_body(&body).status {
                200 => acknowledged += 40,
                503 => refused += 1,
                other => panic!("round {round}: {other}"),
            }
        }
        assert!(refused > 0, "round {round}: the disk never filled");
        // What is stored is exactly what was acknowledged: a 503 stored nothing.
        assert_eq!(whole_lines(&receiver).len(), acknowledged, "round {round}");
        std::fs::remove_file(filler).unwrap();
        let answer = receiver.export_body(&body);
        assert_eq!(answer.status, 200, "round {round}: {}", answer.text());
        acknowledged += 40;
        assert_eq!(whole_lines(&receiver).len(), acknowledged, "round {round}");
    }
    let status = receiver.status();
    assert_eq!(status["stored"], acknowledged);
    assert!(
        status["refused"]["requests"]["503 not_stored"]
            .as_u64()
            .unwrap()
            >= 4
    );
}

#[test]
fn a_torn_tail_is_moved_aside_never_glued_to() {
    let data = tempfile::tempdir().unwrap();
    let events = data.path().join("events");
    std::fs::create_dir_all(&events).unwrap();
    let first = &examples()[0];
    let file = events.join(format!("{}.jsonl", today()));
    std::fs::write(&file, format!("{first}\n{{\"ts\":17000")).unwrap();
    let receiver = Receiver::start_in(&schemas(), data, &[]);
    let second = &examples()[1];
    let answer = receiver.export(werf_spans(std::slice::from_ref(second)));
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(whole_lines(&receiver), [first.clone(), second.clone()]);
    let quarantine = support::read_lines(&receiver.data.path().join("quarantine"));
    assert_eq!(quarantine, ["{\"ts\":17000"]);
}

#[test]
fn a_days_file_moved_or_deleted_while_serving_is_replaced() {
    let receiver = Receiver::start(&[]);
    let examples = examples();
    let file = receiver
        .data
        .path()
        .join(format!("events/{}.jsonl", today()));
    assert_eq!(receiver.export(werf_spans(&examples[..1])).status, 200);
    // Log rotation moves the file away; a cleanup job deletes the next one.
    let rotated = file.with_extension("jsonl.1");
    std::fs::rename(&file, &rotated).unwrap();
    assert_eq!(receiver.export(werf_spans(&examples[1..2])).status, 200);
    assert_eq!(
        support::read_lines(file.parent().unwrap())
            .iter()
            .filter(|line| **line == examples[1])
            .count(),
        1
    );
    assert_eq!(
        std::fs::read_to_string(&rotated).unwrap(),
        examples[0].clone() + "\n"
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(receiver.export(werf_spans(&examples[2..3])).status, 200);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        examples[2].clone() + "\n"
    );
}

#[test]
fn a_second_receiver_on_the_same_folder_is_refused_naming_the_first() {
    let first = Receiver::start(&[]);
    let output = Command::new(telemetry_tests::receiver())
        .args(["serve", "--listen", "127.0.0.1:0", "--schemas"])
        .arg(schemas())
        .arg("--data")
        .arg(first.data.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("another receiver uses"), "{stderr}");
    // The first one's process ID, from the lock file.
    let pid = std::fs::read_to_string(first.data.path().join("receiver.lock")).unwrap();
    assert!(
        stderr.contains(&format!("(process {})", pid.trim())),
        "{stderr}"
    );
    // The first serves on.
    assert_eq!(first.export(werf_spans(&examples()[..1])).status, 200);
}
