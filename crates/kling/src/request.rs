//! Turning the `generate` flags into a create request.
//!
//! The flags become the request's JSON and go through the client's `parse_request`, which
//! checks every rule of the document (from its generated table) and names each broken one by
//! field, e.g. `prompt: must not be empty (minLength)`, before anything is sent.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use mulerouter_kling::types::CreateGenerationRequest;
use mulerouter_kling::{Error, parse_request};
use serde_json::{Map, Value, json};

use crate::args::Generate;

/// Why the flags do not make a request.
#[derive(Debug)]
pub enum Refused {
    /// A flag's text cannot be read at all (an element that is not JSON, a missing file).
    Flag(String),
    /// The request breaks rules of the document; each violation names its field.
    Rules(Error),
}

/// Builds the request from the flags, checked against the document's rules.
pub fn build(args: &Generate) -> Result<CreateGenerationRequest, Refused> {
    parse_request(&to_json(args)?).map_err(|invalid| Refused::Rules(Error::InvalidInput(invalid)))
}

/// The most of an elements file read: a create body may hold the document's
/// `x-max-body-bytes` (32 MiB) in all, so anything larger is refused before it fills memory
/// (`--elements-file /dev/zero` would never end).
const MAX_ELEMENTS_FILE: u64 = mulerouter_kling::rules::CREATE_GENERATION_MAX_BODY_BYTES as u64;

/// The elements file's text: `-` is stdin; a UTF-8 byte-order mark (as some editors write)
/// is dropped; more than [`MAX_ELEMENTS_FILE`] is refused.
fn read_bounded(path: &Path) -> Result<String, Refused> {
    let refused = |why: String| Refused::Flag(format!("--elements-file {}: {why}", path.display()));
    let source: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).map_err(|e| refused(format!("cannot read it: {e}")))?)
    };
    let mut bytes = Vec::new();
    source
        .take(MAX_ELEMENTS_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refused(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > MAX_ELEMENTS_FILE {
        return Err(refused(format!(
            "larger than {} MiB, more than a request may hold",
            MAX_ELEMENTS_FILE >> 20
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| refused(format!("not UTF-8 text: {e}")))?;
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text))
}

/// The request's JSON, as the flags give it; values are not checked here.
fn to_json(args: &Generate) -> Result<Value, Refused> {
    let mut elements = Vec::new();
    if let Some(path) = &args.elements_file {
        let text = read_bounded(path)?;
        match serde_json::from_str(&text) {
            Ok(Value::Array(listed)) => elements.extend(listed),
            Ok(_) => {
                return Err(Refused::Flag(format!(
                    "--elements-file {}: not a JSON array of elements",
                    path.display()
                )));
            }
            Err(e) => {
                return Err(Refused::Flag(format!(
                    "--elements-file {}: not JSON: {e}",
                    path.display()
                )));
            }
        }
    }
    for (index, text) in args.elements.iter().enumerate() {
        let element: Value = serde_json::from_str(text)
            .map_err(|e| Refused::Flag(format!("--element #{}: not JSON: {e}", index + 1)))?;
        elements.push(element);
    }
    let mut request = Map::new();
    request.insert("prompt".into(), json!(args.prompt));
    request.insert("video".into(), json!(args.video));
    request.insert("keep_audio".into(), json!(args.keep_audio));
    // Left out, the document's default applies (the request type fills it in).
    if let Some(duration) = args.duration {
        request.insert("duration".into(), json!(duration));
    }
    if !elements.is_empty() {
        request.insert("elements".into(), Value::Array(elements));
    }
    if let Some(mode) = &args.mode {
        request.insert("mode".into(), json!(mode));
    }
    if let Some(ratio) = &args.aspect_ratio {
        request.insert("aspect_ratio".into(), json!(ratio));
    }
    if let Some(negative) = &args.negative_prompt {
        request.insert("negative_prompt".into(), json!(negative));
    }
    Ok(Value::Object(request))
}
