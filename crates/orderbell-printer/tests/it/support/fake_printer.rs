//! A loopback TCP "printer": records every byte that is not a status query and answers
//! DLE EOT queries (Epson bits), with a paper-out switch.
#![allow(dead_code, clippy::unwrap_used, reason = "test support")]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Default)]
pub struct Printer {
    /// Everything received that is not a status query.
    pub bytes: Vec<u8>,
    pub paper_out: bool,
    /// Run out of paper as soon as a ticket with this text arrives.
    pub run_out_on: Option<String>,
    /// Status queries answered while out of paper.
    pub paper_out_answers: usize,
}

impl Printer {
    pub fn count(&self, marker: &str) -> usize {
        self.bytes
            .windows(marker.len())
            .filter(|w| *w == marker.as_bytes())
            .count()
    }

    pub fn position(&self, marker: &str) -> Option<usize> {
        self.bytes
            .windows(marker.len())
            .position(|w| w == marker.as_bytes())
    }

    pub fn status(&mut self, n: u8) -> u8 {
        if self.paper_out {
            self.paper_out_answers += 1;
        }
        let base = 0x12;
        match (n, self.paper_out) {
            (1, true) => base | 0x08,
            (2, true) => base | 0x20,
            (4, true) => base | 0x60,
            _ => base,
        }
    }
}

pub async fn fake_printer(printer: Arc<Mutex<Printer>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let printer = Arc::clone(&printer);
            tokio::spawn(async move {
                let mut pending: Vec<u8> = Vec::new();
                let mut buf = [0u8; 8192];
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    pending.extend_from_slice(&buf[..n]);
                    let mut answers = Vec::new();
                    let mut i = 0;
                    {
                        let mut p = printer.lock().unwrap();
                        while i < pending.len() {
                            if pending[i] == 0x10 {
                                if pending.len() < i + 3 {
                                    break; // wait for the rest of a possible DLE EOT n
                                }
                                if pending[i + 1] == 0x04 {
                                    answers.push(p.status(pending[i + 2]));
                                    i += 3;
                                    continue;
                                }
                            }
                            p.bytes.push(pending[i]);
                            i += 1;
                        }
                        pending.drain(..i);
                        if let Some(marker) = p.run_out_on.clone() {
                            if p.count(&marker) > 0 {
                                p.paper_out = true;
                                p.run_out_on = None;
                            }
                        }
                    }
                    if !answers.is_empty() && stream.write_all(&answers).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}
