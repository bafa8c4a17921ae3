//! The least HTTP/1.1 the referee tests need on loopback: a server for one request at a time and
//! a client for one request (`Connection: close`, `Content-Length` bodies).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A request or response: its content type and body.
pub struct Message {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Reads the head and the `Content-Length` body of a request or response.
fn read_message(stream: &mut impl BufRead) -> Message {
    let mut content_type = String::new();
    let mut length = 0usize;
    let mut line = String::new();
    stream.read_line(&mut line).expect("start line");
    loop {
        line.clear();
        stream.read_line(&mut line).expect("header line");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').expect("a header");
        match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type = value.trim().to_owned(),
            "content-length" => length = value.trim().parse().expect("a length"),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the body");
    Message { content_type, body }
}

/// How long [`serve`] waits for a connection: a client that failed before connecting must not
/// leave the test waiting for ever.
const ACCEPT_PATIENCE: Duration = Duration::from_secs(60);

/// Accepts one connection on the non-blocking `listener` within [`ACCEPT_PATIENCE`].
fn accept(listener: &TcpListener) -> Option<TcpStream> {
    let deadline = Instant::now() + ACCEPT_PATIENCE;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking");
                stream
                    .set_read_timeout(Some(ACCEPT_PATIENCE))
                    .expect("timeout");
                return Some(stream);
            }
            Err(error)
                if error.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => return None,
        }
    }
}

/// Serves up to `count` requests on `listener`, answering each with `answer`; stops early when
/// no client connects within a minute.
pub fn serve(listener: TcpListener, count: usize, mut answer: impl FnMut(Message) -> Message) {
    listener.set_nonblocking(true).expect("non-blocking");
    for _ in 0..count {
        let Some(stream) = accept(&listener) else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let request = read_message(&mut reader);
        let response = answer(request);
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            response.content_type,
            response.body.len()
        )
        .expect("head written");
        stream.write_all(&response.body).expect("body written");
    }
}

/// POSTs a body to `http://127.0.0.1:{port}/` and returns the response.
pub fn post(port: u16, content_type: &str, body: &[u8]) -> Message {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connected");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("head written");
    stream.write_all(body).expect("body written");
    read_message(&mut BufReader::new(stream))
}
