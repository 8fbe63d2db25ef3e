use crate::corpus::DEFAULT_MAX_DOC_BYTES;
use crate::serve::{serve, ServeOptions};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Open the address it prints in a browser. The HTTP API is described \
                        at /api/openapi.json. Stop with Ctrl-C."
)]
pub struct ServeArgs {
    /// Model to start with; the embedded default model if absent. Only for
    /// a new data folder: one that holds versions goes on with its own.
    #[arg(long, short = 'm', value_name = "MODEL")]
    model: Option<PathBuf>,
    /// Labelled data (any layout `train` reads). Retraining starts from it,
    /// the report measures on it; when it is one .jsonl file, corrections
    /// are appended to it (otherwise to DATA_DIR/labels.jsonl).
    #[arg(long, value_name = "LABELS", num_args = 1..)]
    data: Vec<PathBuf>,
    /// Out-of-domain documents, so that retrained models keep a relevance
    /// gate (as `train --background`).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    background: Vec<PathBuf>,
    /// Address to listen on. Anything but loopback needs --token.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Secret every request must carry (Authorization: Bearer TOKEN, or
    /// open /?token=TOKEN once in the browser). At least 16 characters.
    #[arg(
        long,
        env = "DOCCLASS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// Folder for uploads, model versions and corrections.
    #[arg(long, value_name = "DIR", default_value = "docclass-data")]
    data_dir: PathBuf,
    /// Largest JSON request body (API), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    max_request_bytes: usize,
    /// Largest uploaded file, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024 * 1024)]
    max_upload_bytes: u64,
    /// Largest document accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DOC_BYTES)]
    max_doc_bytes: usize,
}

pub fn run(args: ServeArgs) -> anyhow::Result<i32> {
    serve(ServeOptions {
        addr: args.addr,
        token: args.token.filter(|t| !t.is_empty()),
        data_dir: args.data_dir,
        data: args.data,
        background: args.background,
        model: args.model,
        max_request_bytes: args.max_request_bytes,
        max_upload_bytes: args.max_upload_bytes,
        max_doc_bytes: args.max_doc_bytes,
        assets_dir: std::env::var_os("DOCCLASS_SERVE_ASSETS").map(PathBuf::from),
    })?;
    Ok(super::EXIT_OK)
}
