//! The preview page (HTTPS, no client certificate): people see their evidence and decide.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::ApiError;
use crate::exchange::preview::View;
use crate::state::NodeState;

const COOKIE: &str = "once_preview";

fn session(request: &HttpRequest) -> Option<String> {
    request.cookie(COOKIE).map(|c| c.value().to_owned())
}

/// `GET /preview/{id}`.
pub async fn page(
    state: web::Data<NodeState>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .preview
        .view(&id, session(&request).as_deref())
        .await?;
    Ok(render(&id, &view, None))
}

/// The code form.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
}

/// `POST /preview/{id}/code`.
pub async fn code(
    state: web::Data<NodeState>,
    id: web::Path<String>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, ApiError> {
    if form.code.len() > 64 {
        return Ok(render(&id, &View::EnterCode { wrong: None }, None));
    }
    let (secret, view) = state.preview.enter_code(&id, &form.code).await?;
    Ok(render(&id, &view, secret))
}

/// The decision form.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
}

/// `POST /preview/{id}/decision`.
pub async fn decision(
    state: web::Data<NodeState>,
    id: web::Path<String>,
    form: web::Form<DecisionForm>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(ApiError::BadRequest(
                "decision must be approve or refuse".into(),
            ));
        }
    };
    let view = state
        .preview
        .decide(&id, session(&request).as_deref(), approve)
        .await?;
    Ok(render(&id, &view, None))
}

fn render(id: &str, view: &View, new_session: Option<String>) -> HttpResponse {
    let id = escape(id);
    let body = match view {
        View::Unknown => "<h1>Unknown preview</h1><p>This link is not valid. Start again from the service that sent you here.</p>".to_owned(),
        View::Expired => "<h1>Preview expired</h1><p>This preview is no longer valid. Start again from the service that sent you here.</p>".to_owned(),
        View::Locked => "<h1>Preview locked</h1><p>This preview cannot be opened here (too many wrong codes, or it was opened in another browser). Start again from the service that sent you here.</p>".to_owned(),
        View::EnterCode { wrong } => {
            let warning = wrong.map_or(String::new(), |left| {
                format!("<p class=\"warn\" id=\"wrong-code\">The code is not right. {left} attempts left.</p>")
            });
            format!(
                "<h1>See your evidence before it is sent</h1>\
                 <p>An authority asks for evidence about you. Enter the one-time code we sent you to see it.</p>{warning}\
                 <form method=\"post\" action=\"/preview/{id}/code\">\
                 <label for=\"code\">One-time code</label> \
                 <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required>\
                 <button type=\"submit\">Show</button></form>"
            )
        }
        View::Decide {
            evidence_type,
            requester,
            fields,
        } => {
            let rows: String = fields
                .iter()
                .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
                .collect();
            format!(
                "<h1>Your evidence</h1><p><strong>{}</strong> asks for <strong>{}</strong>. This is exactly what would be sent:</p>\
                 <table id=\"evidence\">{rows}</table>\
                 <form method=\"post\" action=\"/preview/{id}/decision\">\
                 <button type=\"submit\" name=\"decision\" value=\"approve\">Send it</button> \
                 <button type=\"submit\" name=\"decision\" value=\"refuse\">Do not send it</button></form>",
                escape(requester),
                escape(evidence_type)
            )
        }
        View::Decided { approved: true } => "<h1 id=\"decided\">Approved</h1><p>The evidence will be sent. You can return to the service that sent you here.</p>".to_owned(),
        View::Decided { approved: false } => "<h1 id=\"decided\">Refused</h1><p>The evidence will not be sent. You can return to the service that sent you here.</p>".to_owned(),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Evidence preview</title><style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}\
         th{{text-align:left;padding-right:1rem}}.warn{{color:#a00}}button{{margin-top:1rem}}</style></head>\
         <body>{body}</body></html>"
    );
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if let Some(secret) = new_session {
        let cookie = Cookie::build(COOKIE, secret)
            .path(format!("/preview/{id}"))
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Strict)
            .finish();
        response.cookie(cookie);
    }
    response.body(html)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
