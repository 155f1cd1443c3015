//! A tokio line-echo server under `pledge("stdio inet")`, showing that the runtime's worker
//! threads are sandboxed too.
//!
//! # Why `#[sandbox::pledge]` goes above `#[tokio::main]`
//!
//! Attributes expand from the outside in. Written above, `#[sandbox::pledge]` sees the
//! `async fn main` and inserts its phase entry at the start of the async body; `#[tokio::main]`
//! then wraps that body in `Runtime::block_on`. So the pledge runs *after* the runtime has built
//! and started its worker threads, and seccomp's TSYNC flag installs the filter on every one of
//! them together with the main thread. Threads the runtime starts later inherit the filter, as
//! every new thread does.
//!
//! Written below `#[tokio::main]`, the pledge lands in the synchronous `fn main` that
//! `#[tokio::main]` generates, before the runtime is built: that works too (the runtime's setup,
//! threads, epoll and eventfd, is `stdio`), with the setup itself under the phase.
//!
//! # Protocol
//!
//! Each line a client sends comes back as is, except `OPEN`: the session, a task that
//! `tokio::spawn` put on a worker thread, answers with the name of its thread and then tries
//! `std::fs::File::open("/etc/hostname")`. That needs `rpath`, which the process did not promise:
//! the sandbox reports the call and the process dies by SIGABRT.
//!
//! ```text
//! cargo run --example async -- [--addr 127.0.0.1:7878]
//! ```

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The longest line read from a client, in bytes.
const MAX_LINE: u64 = 4096;

#[sandbox::pledge("stdio inet")]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let addr = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [] => "127.0.0.1:7878".to_owned(),
        [flag, addr] if flag == "--addr" => addr.clone(),
        _ => {
            eprintln!("usage: async [--addr HOST:PORT]");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("async: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("echoing on {local}"),
        Err(e) => println!("echoing on an unknown address ({e})"),
    }
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                tokio::spawn(async move {
                    if let Err(e) = session(stream).await {
                        eprintln!("async: {e}");
                    }
                });
            }
            Err(e) => eprintln!("async: accept: {e}"),
        }
    }
}

async fn session(stream: TcpStream) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    loop {
        let mut line = String::new();
        if (&mut reader).take(MAX_LINE).read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if line.trim_end() == "OPEN" {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("unnamed");
            writer
                .write_all(format!("opening /etc/hostname on thread {name}\n").as_bytes())
                .await?;
            println!("opening /etc/hostname on thread {name}");
            // Synchronous on purpose: the call happens on this worker thread, not on a
            // blocking-pool thread started for it.
            let opened = std::fs::read_to_string("/etc/hostname");
            println!("not reached: {opened:?}");
            writer
                .write_all(format!("opened: {opened:?}\n").as_bytes())
                .await?;
        } else {
            writer.write_all(line.as_bytes()).await?;
        }
    }
}
