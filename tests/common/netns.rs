//! Hosts in network namespaces, for partition tests: each [`Host`] is a network
//! namespace joined to this (the root) namespace by a veth pair on a private /30
//! (`10.213.x.y`). The databases and the fake Slack listen on 127.0.0.1 only, so
//! a host reaches each of them through a forward ([`Host::url`]): a TCP relay in
//! this process listening on the host's gateway address (the root end of its
//! veth), which the host dials as `127.0.0.1:PORT` (an iptables DNAT in the
//! host's namespace sends it to the gateway; xoxe allows plain http to loopback
//! only). The servers see connections from 127.0.0.1, as their access rules
//! expect. Faults are iptables rules inside the host's namespace on one
//! forwarded port: [`Host::cut`] drops every packet both ways (a partition: no
//! FIN, no RST, no ICMP), [`Host::drop_randomly`] drops a share of them,
//! [`Host::heal`] removes them. Processes run in the host with [`Host::command`].
//! (No delays: this kernel has no `sch_netem`, so `tc qdisc ... netem` fails.)
//!
//! Dropping a `Host` kills the processes still inside its namespace and deletes
//! the namespace (which removes its veth pair and rules); a run killed before
//! that leaves namespaces `xoxe-p<pid>-<n>` that the next run deletes.
//!
//! Needs root (CAP_NET_ADMIN), `ip` and `iptables`: [`unavailable`] says why not
//! (after `scripts/netns.sh ensure` tried to install what is missing).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PREFIX: &str = "xoxe-p";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `program args`; its stderr when it fails.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn must(program: &str, args: &[&str]) -> String {
    run(program, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Why hosts cannot be made here (`None`: they can). Checked once per process:
/// root, `ip`, `iptables` (installed by `scripts/netns.sh ensure` when missing),
/// and a probe namespace with a veth pair and a rule in it.
pub fn unavailable() -> Option<String> {
    static WHY: once_cell::sync::Lazy<Option<String>> = once_cell::sync::Lazy::new(|| {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Some("not root (network namespaces, veth pairs and iptables need CAP_NET_ADMIN)".into());
        }
        let ensure = Command::new(repo().join("scripts/netns.sh")).arg("ensure").output();
        match ensure {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                return Some(format!(
                    "scripts/netns.sh ensure: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
            Err(e) => return Some(format!("scripts/netns.sh: {e}")),
        }
        sweep();
        let probe = format!("{PREFIX}{}-probe", std::process::id());
        let veth = format!("xp{}pr", std::process::id());
        let result = (|| {
            run("ip", &["netns", "add", &probe])?;
            run(
                "ip",
                &[
                    "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &probe,
                ],
            )?;
            run(
                "ip",
                &[
                    "netns", "exec", &probe, "iptables", "-w", "-A", "OUTPUT", "-p", "tcp", "-j", "ACCEPT",
                ],
            )?;
            Ok::<(), String>(())
        })();
        let _ = run("ip", &["link", "del", &veth]);
        let _ = run("ip", &["netns", "del", &probe]);
        result
            .err()
            .map(|e| format!("network namespaces are not permitted here: {e}"))
    });
    WHY.clone()
}

/// Deletes the namespaces of earlier runs whose process is gone (a killed test
/// never dropped its hosts), killing what still runs in them.
fn sweep() {
    let Ok(list) = run("ip", &["netns", "list"]) else {
        return;
    };
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        kill_inside(name);
        let _ = run("ip", &["netns", "del", name]);
    }
}

/// SIGKILLs every process in namespace `name` and waits (a while) for them to go.
fn kill_inside(name: &str) {
    for _ in 0..100 {
        let pids: Vec<i32> = run("ip", &["netns", "pids", name])
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Holds an exclusive flock on the address-allocation lock file while alive.
struct AllocLock(std::fs::File);

impl AllocLock {
    fn take() -> AllocLock {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(std::env::temp_dir().join("xoxe-netns.lock"))
            .expect("the netns lock file");
        // SAFETY: flock on a descriptor we own.
        assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
        AllocLock(file)
    }
}

impl Drop for AllocLock {
    fn drop(&mut self) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: as above.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// A TCP relay from the host's gateway address to a server on 127.0.0.1.
struct Forward {
    stop: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Forward {
    fn start(listen: Ipv4Addr, target: SocketAddr) -> (Forward, u16) {
        let listener = TcpListener::bind((listen, 0)).expect("forwarder bind");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let streams: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (stop2, streams2) = (stop.clone(), streams.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect_timeout(&target, Duration::from_secs(10)) else {
                            continue; // dropping `client` closes it: the server is down
                        };
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        let mut kept = streams2.lock().unwrap();
                        kept.push(client.try_clone().unwrap());
                        kept.push(server.try_clone().unwrap());
                        drop(kept);
                        relay(client.try_clone().unwrap(), server.try_clone().unwrap());
                        relay(server, client);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        (
            Forward {
                stop,
                streams,
                thread: Some(thread),
            },
            port,
        )
    }
}

/// Copies `from` to `to` on a thread; at `from`'s end, ends `to`'s writing side.
fn relay(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for stream in self.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// One host: a network namespace with a veth pair to this namespace.
pub struct Host {
    /// The namespace's name (`xoxe-p<pid>-<n>`).
    pub name: String,
    /// The root end's address: the host reaches forwarded servers here.
    pub gateway: Ipv4Addr,
    /// The host's own address.
    pub address: Ipv4Addr,
    forwards: Mutex<Vec<Forward>>,
}

impl Host {
    /// A new host (namespace, veth pair, addresses, routes).
    pub fn new() -> Host {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let name = format!("{PREFIX}{pid}-{n}");
        let veth = format!("xp{pid}h{n}");
        assert!(veth.len() <= 15, "interface name {veth} too long");
        must("ip", &["netns", "add", &name]);
        // From here on, dropping the host deletes the namespace.
        let mut host = Host {
            name,
            gateway: Ipv4Addr::UNSPECIFIED,
            address: Ipv4Addr::UNSPECIFIED,
            forwards: Mutex::default(),
        };
        let ns = host.name.clone();
        must(
            "ip",
            &[
                "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns,
            ],
        );
        // A free /30 in 10.213.0.0/16, chosen and taken under a lock shared by
        // every test process.
        let lock = AllocLock::take();
        let used = must("ip", &["-o", "-4", "addr", "show"]);
        let block = (0u32..16_384)
            .find(|b| {
                let gw = Ipv4Addr::new(10, 213, (b / 64) as u8, (b % 64 * 4 + 1) as u8);
                !used.contains(&format!(" {gw}/"))
            })
            .expect("a free /30 in 10.213.0.0/16");
        host.gateway = Ipv4Addr::new(10, 213, (block / 64) as u8, (block % 64 * 4 + 1) as u8);
        host.address = Ipv4Addr::new(10, 213, (block / 64) as u8, (block % 64 * 4 + 2) as u8);
        must("ip", &["addr", "add", &format!("{}/30", host.gateway), "dev", &veth]);
        drop(lock);
        must("ip", &["link", "set", &veth, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &ns];
            all.extend_from_slice(args);
            must("ip", &all);
        };
        inside(&["ip", "addr", "add", &format!("{}/30", host.address), "dev", "eth0"]);
        inside(&["ip", "link", "set", "eth0", "up"]);
        inside(&["ip", "link", "set", "lo", "up"]);
        inside(&["ip", "route", "add", "default", "via", &host.gateway.to_string()]);
        // Packets to 127.0.0.1 translated to the gateway leave through eth0 with
        // the host's address.
        inside(&["sysctl", "-qw", "net.ipv4.conf.eth0.route_localnet=1"]);
        inside(&[
            "iptables",
            "-w",
            "-t",
            "nat",
            "-A",
            "POSTROUTING",
            "-o",
            "eth0",
            "-s",
            "127.0.0.1",
            "-j",
            "SNAT",
            "--to-source",
            &host.address.to_string(),
        ]);
        host
    }

    /// Relays `gateway:port` (the returned port) to `target` (a server on
    /// 127.0.0.1) for as long as the host lives.
    pub fn forward(&self, target: SocketAddr) -> u16 {
        let (forward, port) = Forward::start(self.gateway, target);
        self.forwards.lock().unwrap().push(forward);
        port
    }

    /// `url` with its `127.0.0.1:PORT` replaced by a forward of that port: in
    /// the host, `127.0.0.1:FORWARD` is translated (iptables DNAT) to the
    /// forward on the gateway, so the URL stays a loopback one (xoxe allows plain
    /// http to loopback only).
    pub fn url(&self, url: &str) -> String {
        let (before, port, after) = split_port(url);
        let forwarded = self.forward(SocketAddr::from(([127, 0, 0, 1], port)));
        let to = format!("{}:{forwarded}", self.gateway);
        let port = forwarded.to_string();
        must(
            "ip",
            &[
                "netns",
                "exec",
                &self.name,
                "iptables",
                "-w",
                "-t",
                "nat",
                "-A",
                "OUTPUT",
                "-d",
                "127.0.0.1",
                "-p",
                "tcp",
                "--dport",
                &port,
                "-j",
                "DNAT",
                "--to-destination",
                &to,
            ],
        );
        format!("{before}{forwarded}{after}")
    }

    /// The (forwarded) port of a URL made by [`url`](Self::url).
    pub fn port_of(&self, url: &str) -> u16 {
        split_port(url).1
    }

    /// Adds a DROP rule for each direction of the link to forwarded port `port`.
    /// The rules match the port only: an interface match (`-o eth0`) misses
    /// packets whose route was changed by the DNAT (their output device is
    /// still `lo` for the filter), and the address is rewritten on one side of
    /// the filter or the other; nothing else in the host uses these ports.
    fn iptables(&self, action: &str, port: u16, extra: &[&str]) {
        let port = port.to_string();
        for (chain, side) in [("OUTPUT", "--dport"), ("INPUT", "--sport")] {
            let mut args = vec![
                "netns", "exec", &self.name, "iptables", "-w", action, chain, "-p", "tcp", side, &port,
            ];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["-j", "DROP"]);
            must("ip", &args);
        }
    }

    /// Drops every packet between the host and forwarded port `port`, both ways.
    pub fn cut(&self, port: u16) {
        self.iptables("-A", port, &[]);
    }

    /// Drops each packet between the host and `port` with probability `p`.
    pub fn drop_randomly(&self, port: u16, p: f64) {
        self.iptables(
            "-A",
            port,
            &["-m", "statistic", "--mode", "random", "--probability", &format!("{p}")],
        );
    }

    /// Removes every rule of this host (the link works again).
    pub fn heal(&self) {
        must("ip", &["netns", "exec", &self.name, "iptables", "-w", "-F", "INPUT"]);
        must("ip", &["netns", "exec", &self.name, "iptables", "-w", "-F", "OUTPUT"]);
    }

    /// `program` run inside the host.
    pub fn command(&self, program: &std::path::Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }
}

/// `url` split around the port of its `127.0.0.1:PORT`.
fn split_port(url: &str) -> (&str, u16, &str) {
    let at = url.find("127.0.0.1:").expect("a URL on 127.0.0.1") + "127.0.0.1:".len();
    let digits = url[at..].chars().take_while(char::is_ascii_digit).count();
    (
        &url[..at],
        url[at..at + digits].parse().expect("a port"),
        &url[at + digits..],
    )
}

impl Drop for Host {
    fn drop(&mut self) {
        kill_inside(&self.name);
        self.forwards.lock().unwrap_or_else(|e| e.into_inner()).clear();
        // Deleting the namespace deletes its end of the veth pair, and so the pair.
        if let Err(e) = run("ip", &["netns", "del", &self.name]) {
            eprintln!("netns: {e}");
        }
    }
}
