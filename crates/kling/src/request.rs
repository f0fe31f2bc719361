//! Turning the `generate` flags into a create request.

use std::fs;

use mulerouter_kling::types::{AspectRatio, CreateGenerationRequest, Element, Mode, builder};

use crate::args::{AspectRatioArg, Generate, ModeArg};

/// Builds the request; what the flags cannot hold (bad element JSON) is an error naming the
/// flag. Every other rule is checked by the client before sending.
pub fn build(args: &Generate) -> Result<builder::CreateGenerationRequest, String> {
    let mut elements = Vec::new();
    if let Some(path) = &args.elements_file {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("--elements-file {}: cannot read it: {e}", path.display()))?;
        let listed: Vec<Element> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "--elements-file {}: not a JSON array of elements: {e}",
                path.display()
            )
        })?;
        elements.extend(listed);
    }
    for (index, text) in args.elements.iter().enumerate() {
        let element: Element = serde_json::from_str(text)
            .map_err(|e| format!("--element #{}: not a valid element: {e}", index + 1))?;
        elements.push(element);
    }
    let mut request = CreateGenerationRequest::builder()
        .prompt(args.prompt.clone())
        .video(args.video.clone())
        .keep_audio(args.keep_audio)
        .duration(args.duration)
        .elements(elements)
        .mode(args.mode.map(|mode| match mode {
            ModeArg::Std => Mode::Std,
            ModeArg::Pro => Mode::Pro,
        }))
        .aspect_ratio(args.aspect_ratio.map(|ratio| match ratio {
            AspectRatioArg::Wide => AspectRatio::X169,
            AspectRatioArg::Tall => AspectRatio::X916,
            AspectRatioArg::Square => AspectRatio::X11,
        }));
    if let Some(negative) = &args.negative_prompt {
        let negative = negative
            .parse()
            .map_err(|e| format!("--negative-prompt: {e} (maxLength)"))?;
        request = request.negative_prompt(Some(negative));
    }
    Ok(request)
}
