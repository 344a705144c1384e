//! The load's HTTP/1.1 client: one keep-alive connection, one request at a time, the request
//! written with one `writev` of its pre-built head and body, the response head parsed by
//! `httparse` and its body read and dropped.
//!
//! Why not hyper's client: the generator shares the machine's two cores with the server, so every
//! microsecond it spends is taken from the server's figures. hyper's client connection runs as a
//! task of its own beside the worker's, handing each request and response over a channel, and
//! builds a header map for both; at 8,000 requests/s that came to some 20 µs of the bench's CPU
//! per request, 10 % of the machine.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest response body read (Faultline's answers are a few hundred bytes).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// What the load needs of a response.
#[derive(Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    /// `Retry-After` in seconds, when present and valid.
    pub retry_after: Option<Duration>,
    /// The server will close the connection (`Connection: close`, or a body delimited by the
    /// end of the stream): it cannot be reused.
    pub close: bool,
}

/// One keep-alive connection.
pub struct Connection {
    stream: TcpStream,
    /// Bytes read and not used yet: `buf[..filled]`.
    buf: Vec<u8>,
    filled: usize,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buf: vec![0; 8 * 1024],
            filled: 0,
        })
    }

    /// Sends one request (`head` ends with the blank line) and reads its whole response.
    pub async fn send(&mut self, head: &[u8], body: &[u8]) -> io::Result<Response> {
        self.write_request(head, body).await?;
        loop {
            let (head_len, mut response, framing) = self.read_head().await?;
            self.consume(head_len);
            // An interim answer (100 Continue) is followed by the real one.
            if (100..200).contains(&response.status) && response.status != 101 {
                continue;
            }
            match framing {
                Framing::Length(n) => self.skip_exact(n).await?,
                Framing::Chunked => self.skip_chunked().await?,
                Framing::UntilClose => {
                    self.skip_to_end().await?;
                    response.close = true;
                }
            }
            return Ok(response);
        }
    }

    async fn write_request(&mut self, head: &[u8], body: &[u8]) -> io::Result<()> {
        let mut slices = [IoSlice::new(head), IoSlice::new(body)];
        let mut parts = &mut slices[..];
        while !parts.is_empty() {
            let n = self.stream.write_vectored(parts).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut parts, n);
        }
        Ok(())
    }

    /// Reads until `buf` holds a whole response head; returns its length, the response and how
    /// its body is framed.
    async fn read_head(&mut self) -> io::Result<(usize, Response, Framing)> {
        loop {
            if let Some(parsed) = parse_head(&self.buf[..self.filled])? {
                return Ok(parsed);
            }
            if self.filled >= MAX_HEAD {
                return Err(invalid("response head too large"));
            }
            self.fill().await?;
        }
    }

    /// Reads more bytes into `buf`; the end of the stream is an error.
    async fn fill(&mut self) -> io::Result<()> {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.filled += n;
        Ok(())
    }

    /// Drops the first `n` bytes of `buf`.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    async fn skip_exact(&mut self, mut n: usize) -> io::Result<()> {
        if n > MAX_BODY {
            return Err(invalid("response body too large"));
        }
        loop {
            let take = n.min(self.filled);
            self.consume(take);
            n -= take;
            if n == 0 {
                return Ok(());
            }
            self.fill().await?;
        }
    }

    async fn skip_chunked(&mut self) -> io::Result<()> {
        loop {
            if let Some(n) = chunked_len(&self.buf[..self.filled])? {
                self.consume(n);
                return Ok(());
            }
            if self.filled > MAX_BODY {
                return Err(invalid("response body too large"));
            }
            self.fill().await?;
        }
    }

    async fn skip_to_end(&mut self) -> io::Result<()> {
        self.filled = 0;
        let mut total = 0;
        loop {
            let n = self.stream.read(&mut self.buf).await?;
            if n == 0 {
                return Ok(());
            }
            total += n;
            if total > MAX_BODY {
                return Err(invalid("response body too large"));
            }
        }
    }
}

/// How a response body ends.
#[derive(Debug, PartialEq)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Parses a response head at the start of `buf`: `None` while it is incomplete.
fn parse_head(buf: &[u8]) -> io::Result<Option<(usize, Response, Framing)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(invalid(&format!("bad response head: {e}"))),
    };
    let status = parsed.code.unwrap_or(0);
    let mut response = Response {
        status,
        retry_after: None,
        close: parsed.version == Some(0),
    };
    let (mut length, mut chunked) = (None, false);
    for h in parsed.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .parse::<usize>()
                .map_err(|_| invalid("bad Content-Length"))?;
            if length.is_some_and(|m| m != n) {
                return Err(invalid("conflicting Content-Length headers"));
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            if value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"))
            {
                response.close = true;
            }
        } else if h.name.eq_ignore_ascii_case("retry-after") {
            response.retry_after = value
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
        }
    }
    let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Some((len, response, framing)))
}

/// The length of a whole chunked body (with its last chunk and trailers) at the start of `buf`:
/// `None` while it is incomplete.
fn chunked_len(buf: &[u8]) -> io::Result<Option<usize>> {
    let mut at = 0;
    loop {
        let Some(line_end) = find_crlf(&buf[at..]) else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[at..at + line_end])
            .map_err(|_| invalid("bad chunk size line"))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        at += line_end + 2;
        if size == 0 {
            // Trailer lines, up to an empty one.
            loop {
                let Some(end) = find_crlf(&buf[at..]) else {
                    return Ok(None);
                };
                at += end + 2;
                if end == 0 {
                    return Ok(Some(at));
                }
            }
        }
        if size > MAX_BODY {
            return Err(invalid("chunk too large"));
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        if &buf[at + size..at + size + 2] != b"\r\n" {
            return Err(invalid("chunk not followed by CRLF"));
        }
        at += size + 2;
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> (usize, Response, Framing) {
        parse_head(text.as_bytes()).unwrap().expect("complete")
    }

    #[test]
    fn response_heads() {
        let (len, r, f) = head("HTTP/1.1 200 OK\r\ncontent-length: 41\r\n\r\n{\"id\"");
        assert_eq!(len, 39);
        assert_eq!(
            r,
            Response {
                status: 200,
                retry_after: None,
                close: false
            }
        );
        assert_eq!(f, Framing::Length(41));

        let (_, r, f) = head(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2.5\r\nConnection: keep-alive, close\r\n\
             Transfer-Encoding: gzip, chunked\r\n\r\n",
        );
        assert_eq!(r.status, 429);
        assert_eq!(r.retry_after, Some(Duration::from_millis(2500)));
        assert!(r.close);
        assert_eq!(f, Framing::Chunked);

        let (_, r, f) = head("HTTP/1.0 503 Service Unavailable\r\nretry-after: soon\r\n\r\n");
        assert_eq!((r.status, r.retry_after, r.close), (503, None, true));
        assert_eq!(f, Framing::UntilClose);
        assert_eq!(
            head("HTTP/1.1 204 No Content\r\n\r\n").2,
            Framing::Length(0)
        );
    }

    #[test]
    fn incomplete_and_bad_heads() {
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-len")
            .unwrap()
            .is_none());
        assert!(parse_head(b"").unwrap().is_none());
        assert!(parse_head(b"HTTX/1.1 200 OK\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n").is_err());
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n")
                .is_err()
        );
    }

    #[test]
    fn chunked_bodies() {
        let body = b"5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
        assert_eq!(chunked_len(body).unwrap(), Some(body.len() - 4));
        for cut in 0..body.len() - 4 {
            assert_eq!(chunked_len(&body[..cut]).unwrap(), None, "cut at {cut}");
        }
        assert_eq!(chunked_len(b"0\r\n\r\n").unwrap(), Some(5));
        assert!(chunked_len(b"zz\r\n").is_err());
        assert!(chunked_len(b"2\r\nabX\r\n").is_err());
    }

    /// Against a real socket: a response split across reads, a chunked one, an interim 100,
    /// and one delimited by the end of the stream.
    #[tokio::test]
    async fn reads_whole_responses_from_a_socket() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut requests = Vec::new();
            let answers: [&[&[u8]]; 4] = [
                &[b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 5\r\n\r\nhel", b"lo"],
                &[b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"],
                &[b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n"],
                &[b"HTTP/1.1 503 Busy\r\nretry-after: 1\r\n\r\nbye"],
            ];
            for parts in answers {
                let mut req = vec![0; 4096];
                let mut got = 0;
                while !req[..got].ends_with(b"BODY") {
                    got += s.read(&mut req[got..]).await.unwrap();
                }
                requests.push(String::from_utf8_lossy(&req[..got]).into_owned());
                for p in parts {
                    s.write_all(p).await.unwrap();
                    s.flush().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            requests
        });
        let mut c = Connection::open(addr).await.unwrap();
        let head = b"POST /x HTTP/1.1\r\nhost: h\r\ncontent-length: 4\r\n\r\n";
        let mut got = Vec::new();
        for _ in 0..4 {
            got.push(c.send(head, b"BODY").await.unwrap());
        }
        let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [200, 200, 201, 503]);
        assert!(got[..3].iter().all(|r| !r.close));
        assert!(got[3].close);
        assert_eq!(got[3].retry_after, Some(Duration::from_secs(1)));
        assert_eq!(c.filled, 0);
        let requests = server.await.unwrap();
        assert_eq!(requests.len(), 4);
        assert!(requests
            .iter()
            .all(|r| r == "POST /x HTTP/1.1\r\nhost: h\r\ncontent-length: 4\r\n\r\nBODY"));
    }
}
