//! A loopback SOCKS5 proxy for tests: it records what each client asks it to connect to, then
//! refuses, so that nothing goes any further.

#![allow(dead_code, reason = "each test crate uses part of it")]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A SOCKS5 proxy listening on 127.0.0.1 until the test process ends.
pub(crate) struct Socks {
    port: u16,
    targets: Arc<Mutex<Vec<String>>>,
    connections: Arc<Mutex<usize>>,
}

impl Socks {
    /// Starts the proxy.
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let (recorded, counted) = (Arc::clone(&targets), Arc::clone(&connections));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                *counted.lock().expect("not poisoned") += 1;
                if let Some(target) = handshake(stream) {
                    recorded.lock().expect("not poisoned").push(target);
                }
            }
        });
        Socks {
            port,
            targets,
            connections,
        }
    }

    /// `<scheme>://127.0.0.1:<port>`.
    pub(crate) fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Every `host:port` a client asked to connect to.
    pub(crate) fn targets(&self) -> Vec<String> {
        self.targets.lock().expect("not poisoned").clone()
    }

    /// How many connections were made to the proxy at all.
    pub(crate) fn connections(&self) -> usize {
        *self.connections.lock().expect("not poisoned")
    }
}

/// Greets, reads the CONNECT request, answers "connection refused"; returns the target.
fn handshake(mut stream: TcpStream) -> Option<String> {
    let mut greeting = [0; 2];
    stream.read_exact(&mut greeting).ok()?;
    let mut methods = vec![0; usize::from(greeting[1])];
    stream.read_exact(&mut methods).ok()?;
    stream.write_all(&[5, 0]).ok()?;
    let mut request = [0; 4];
    stream.read_exact(&mut request).ok()?;
    let host = match request[3] {
        1 => {
            let mut address = [0; 4];
            stream.read_exact(&mut address).ok()?;
            std::net::Ipv4Addr::from(address).to_string()
        }
        3 => {
            let mut length = [0; 1];
            stream.read_exact(&mut length).ok()?;
            let mut name = vec![0; usize::from(length[0])];
            stream.read_exact(&mut name).ok()?;
            String::from_utf8(name).ok()?
        }
        4 => {
            let mut address = [0; 16];
            stream.read_exact(&mut address).ok()?;
            format!("[{}]", std::net::Ipv6Addr::from(address))
        }
        _ => return None,
    };
    let mut port = [0; 2];
    stream.read_exact(&mut port).ok()?;
    // Version, "connection refused", reserved, an IPv4 address and port of zeros.
    let _ = stream.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    Some(format!("{host}:{}", u16::from_be_bytes(port)))
}
