//! A fake provider for tests of the requester: a TLS server holding a member's certificate that
//! answers evidence requests with a chosen kind of bad answer.

use std::net::SocketAddr;
use std::path::Path;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use once_node::exchange::sha256;
use once_node::exchange::transport::{Outgoing, envelope};
use once_pki::MemberId;
use once_pki::ca::node_files;
use once_pki::files::{read_certs, read_key};
use once_xml::dsig::Signer;
use once_xml::multipart;
use once_xml::request::EvidenceRequest;
use once_xml::response::{ErrorResponse, Exception, Response};
use once_xml::{EdmCode, Limits, Profile};

/// What the fake provider does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// A correctly signed answer whose content was changed afterwards.
    TamperedSignature,
    /// An answer signed with another member's key.
    ForeignSigner,
    /// Not a multipart message at all.
    Garbage,
    /// Waits longer than any requester's timeout.
    Hang,
    /// Starts a proper answer, then drops the connection halfway through it.
    ResetMidResponse,
}

struct Fake {
    member: String,
    signer: Signer,
    misbehaviour: Misbehaviour,
}

/// Starts a fake provider for `member` with the TLS certificate in `tls_dir`, signing with
/// `signer`; returns its `https://localhost:<port>` URL.
pub fn start(
    member: &str,
    tls_dir: &Path,
    signer: Signer,
    misbehaviour: Misbehaviour,
) -> anyhow::Result<String> {
    let tls = once_pki::tls::server_config_without_client_auth(
        read_certs(&tls_dir.join(node_files::TLS_CERT))?,
        read_key(&tls_dir.join(node_files::TLS_KEY))?,
    )?;
    let fake = web::Data::new(Fake {
        member: member.to_owned(),
        signer,
        misbehaviour,
    });
    let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(fake.clone())
            .route("/v1/exchange", web::post().to(answer))
    })
    .workers(1)
    .disable_signals()
    .listen_rustls_0_23(listener, tls)?
    .run();
    actix_rt::spawn(server);
    Ok(format!("https://localhost:{port}"))
}

async fn answer(fake: web::Data<Fake>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    if fake.misbehaviour == Misbehaviour::Hang {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
    if fake.misbehaviour == Misbehaviour::ResetMidResponse {
        // The headers and the start of a multipart answer, then the stream fails: the server
        // aborts the connection without finishing the chunked body.
        let start = web::Bytes::from_static(
            b"--once-boundary\r\nContent-Type: application/xml\r\n\r\n<query:QueryResponse",
        );
        let body = futures_util::stream::unfold(0, move |step| {
            let start = start.clone();
            async move {
                match step {
                    0 => Some((Ok::<_, std::io::Error>(start), 1)),
                    1 => {
                        // Long enough for the headers and the first chunk to go out.
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        Some((
                            Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionReset,
                                "reset",
                            )),
                            2,
                        ))
                    }
                    _ => None,
                }
            }
        });
        return HttpResponse::Ok()
            .content_type("multipart/related; boundary=once-boundary; type=\"application/xml\"")
            .streaming(body);
    }
    if fake.misbehaviour == Misbehaviour::Garbage {
        return HttpResponse::Ok()
            .content_type("application/xml")
            .body("<not-a-response/>");
    }
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Ok(parts) = multipart::parse(content_type, &body, &Default::default()) else {
        return HttpResponse::BadRequest().finish();
    };
    let Ok(asked) = EvidenceRequest::from_xml(parts.root().body, &Limits::default()) else {
        return HttpResponse::BadRequest().finish();
    };
    let response = Response::Error(ErrorResponse {
        request_id: asked.id.clone(),
        response_id: uuid::Uuid::new_v4().to_string(),
        version: asked.version,
        provider: crate::exchange::agent(&fake.member),
        requester: asked.requester.clone(),
        exception: Exception::new(
            EdmCode::ObjectNotFound,
            "no such person here",
            time::OffsetDateTime::now_utc(),
        ),
    });
    let (Ok(sender), Ok(receiver)) = (
        fake.member.parse::<MemberId>(),
        asked.requester.identifier.value.parse::<MemberId>(),
    ) else {
        return HttpResponse::BadRequest().finish();
    };
    let document = response.to_xml_as(Profile::De);
    let outgoing = Outgoing {
        document: document.as_bytes(),
        attachments: &[],
        sender: &sender,
        receiver: &receiver,
        in_reply_to: Some(sha256(parts.root().body)),
    };
    let Ok(sealed) = envelope::seal(&fake.signer, &outgoing) else {
        return HttpResponse::InternalServerError().finish();
    };
    let mut body = sealed.body;
    if fake.misbehaviour == Misbehaviour::TamperedSignature {
        body = String::from_utf8_lossy(&body)
            .replace("no such person here", "no such person HERE")
            .into_bytes();
    }
    HttpResponse::Ok()
        .content_type(sealed.content_type)
        .body(body)
}
