//! Listener, connection threads, routing.

use crate::http::{self, Reply, Request};
use crate::state::State;
use std::collections::HashMap;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// State shared by the acceptor and every connection thread.
pub(crate) struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    pub port: u16,
    /// How long a request head/body may stall before the connection is given up.
    pub request_timeout: Duration,
    /// Clones of open connections, so shutdown can close them.
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    /// The JSON of `/_control/seeds` (and the ready file).
    pub seeds_json: Vec<u8>,
}

impl Shared {
    pub fn new(state: State, port: u16, request_timeout: Duration, seeds_json: Vec<u8>) -> Shared {
        Shared {
            state: Mutex::new(state),
            stop: AtomicBool::new(false),
            port,
            request_timeout,
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            seeds_json,
        }
    }

    /// Lock the world (a panicking thread does not poison it for the others).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Stop accepting: set the flag and wake the acceptor with a throw-away connection.
    pub fn request_stop(&self) {
        if !self.stop.swap(true, Ordering::AcqRel) {
            let _ = TcpStream::connect_timeout(&([127, 0, 0, 1], self.port).into(), Duration::from_secs(1));
        }
    }

    /// How many connections are being served right now.
    pub fn open_connections(&self) -> usize {
        self.conns.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Close every open connection (blocked reads return at once).
    pub fn close_connections(&self) {
        let conns = std::mem::take(&mut *self.conns.lock().unwrap_or_else(|p| p.into_inner()));
        for (_, c) in conns {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// Accept connections until told to stop; one thread per connection.
pub(crate) fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    for conn in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let stream = match conn {
            Ok(s) => s,
            Err(_) => {
                // EMFILE and friends: back off briefly instead of spinning.
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        shared.lock().stats.connections += 1;
        let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            shared.conns.lock().unwrap_or_else(|p| p.into_inner()).insert(id, clone);
        }
        let sh = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("fake-slack-conn".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                http::serve_connection(&sh, stream);
                sh.conns.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            });
        if spawned.is_err() {
            shared.conns.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        }
    }
    // Dropping the listener closes it.
}

/// Route one request.
pub(crate) fn dispatch(shared: &Shared, req: &Request, stream: &TcpStream) -> Reply {
    if let Some(name) = req.path.strip_prefix("/api/") {
        crate::methods::handle(shared, req, name, stream)
    } else if let Some(rest) = req.path.strip_prefix("/_control/") {
        crate::control::handle(shared, req, rest)
    } else {
        Reply::json(404, br#"{"ok":false,"error":"not_found"}"#.to_vec())
    }
}
