//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Generate videos with Kling V3 Omni reference-video-to-video through MuleRouter.
///
/// With MULEROUTER_API_KEY set, talks to MuleRouter (or MULEROUTER_BASE_URL). Without it,
/// starts a built-in mock server and runs everything offline, for free.
#[derive(Debug, Parser)]
#[command(name = "kling", version, after_help = crate::exit::HELP)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Log each request, retry (with its reason and wait) and poll on stderr; repeat for
    /// more (-vv, -vvv). RUST_LOG, when set, chooses instead (e.g. RUST_LOG=mulerouter_kling=debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a generation task (and optionally wait for it and download the result).
    Generate(Box<Generate>),
    /// Show a task's current state.
    Status {
        /// The task id printed by `generate`.
        #[arg(value_parser = task_id)]
        task_id: uuid::Uuid,

        /// Give up after this long, retries included: seconds (`90`) or with a unit (`90s`,
        /// `15m`, `1h 30m`).
        #[arg(long, value_name = "DURATION", default_value = "60", value_parser = time_limit)]
        timeout: Duration,
    },
    /// Wait for a task to finish (and optionally download the result).
    Wait {
        /// The task id printed by `generate`.
        #[arg(value_parser = task_id)]
        task_id: uuid::Uuid,
        #[command(flatten)]
        waiting: Waiting,
    },
    /// Look at and steer a running mock (`mulerouter-kling-mock` at MULEROUTER_BASE_URL)
    /// through its admin API: `kling mock tasks`, `kling mock fail ID 3005`,
    /// `kling mock journal`. MULEROUTER_MOCK_ADMIN_TOKEN holds its admin token, if any.
    Mock(crate::mock::Mock),
}

#[derive(Debug, Args)]
pub struct Generate {
    /// Text prompt describing the transformation (the document's length limits). Refer to
    /// elements as <<<element_1>>>, <<<element_2>>>, … in list order.
    #[arg(long, help = document::prompt_help())]
    pub prompt: String,

    /// The reference video's http(s) URL.
    #[arg(long)]
    pub video: String,

    /// What to keep out of the video.
    #[arg(long)]
    pub negative_prompt: Option<String>,

    /// Keep the reference video's audio.
    #[arg(long)]
    pub keep_audio: bool,

    /// Generation mode (std: 720P, pro: 1080P); the service decides when omitted.
    #[arg(long, value_parser = document::allowed("/mode"))]
    pub mode: Option<String>,

    /// Aspect ratio of the output; the service decides when omitted.
    #[arg(long, value_parser = document::allowed("/aspect_ratio"))]
    pub aspect_ratio: Option<String>,

    /// Duration in seconds (the document's range and default).
    #[arg(long, help = document::duration_help(), allow_negative_numbers = true)]
    pub duration: Option<i64>,

    /// An element as JSON, repeatable (the document's most in all), e.g.
    /// '{"type":"video","reference_videos":["https://…/clip.mp4"]}' or
    /// '{"type":"image","frontal_image":"https://…/front.png","reference_images":["https://…/side.png"]}'.
    #[arg(long = "element", value_name = "JSON", help = document::element_help())]
    pub elements: Vec<String>,

    /// A JSON file holding an array of elements (added before any --element); `-` reads it
    /// from stdin. At most 32 MiB.
    #[arg(long, value_name = "FILE")]
    pub elements_file: Option<PathBuf>,

    /// Wait for the task to finish and print the video URLs.
    #[arg(long)]
    pub wait: bool,

    #[command(flatten)]
    pub waiting: Waiting,
}

#[derive(Debug, Args)]
pub struct Waiting {
    /// Download the result videos into this directory (with `generate`: implies --wait),
    /// created if needed and checked before anything is sent. An existing file is never
    /// replaced: the download gets a free name next to it.
    #[arg(long, value_name = "DIR")]
    pub download: Option<PathBuf>,

    /// Give up after this long in all, every request, poll and download included: seconds
    /// (`90`) or with a unit (`90s`, `15m`, `1h 30m`) [default: 30m for `wait` and a
    /// `generate` that waits or downloads; 60s for a `generate` that does not].
    #[arg(long, value_name = "DURATION", value_parser = time_limit)]
    pub timeout: Option<Duration>,

    /// With --download: refuse a download larger than this: bytes, or with a K, M or G suffix
    /// (powers of 1024).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size, requires = "download")]
    pub max_size: u64,

    /// With --download: give up a download that sends nothing for this long: seconds (`30`)
    /// or with a unit (`30s`, `2m`).
    #[arg(long, value_name = "DURATION", default_value = "30", value_parser = time_limit, requires = "download")]
    pub idle_timeout: Duration,
}

/// A task id, or what to give instead (the UUID parser's own words name a character).
fn task_id(text: &str) -> Result<uuid::Uuid, String> {
    text.trim().parse().map_err(|_| {
        "not a task id: give the UUID that `kling generate` printed, like 8e1e315e-b50d-4334-a231-be7d19a372f4".to_string()
    })
}

/// The longest `--timeout` or `--idle-timeout` accepted: a year, as the duration parser
/// counts one (365.25 days), so that `1y` is accepted.
const MAX_TIME_LIMIT: Duration = Duration::from_secs(31_557_600);

/// A time limit: whole seconds (`90`, as the flags always took), or a duration with its unit
/// (`90s`, `15m`, `1h 30m`, `500ms`); above zero and at most a year.
pub fn time_limit(text: &str) -> Result<Duration, String> {
    time_limit_up_to(text, MAX_TIME_LIMIT, "a year")
}

/// [`time_limit`], at most `longest` (`said` in words).
pub fn time_limit_up_to(text: &str, longest: Duration, said: &str) -> Result<Duration, String> {
    let text = text.trim();
    let limit = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(text).map_err(|error| {
            format!(
                "{text:?} is not a time limit ({error}): give seconds (90) or a duration with its unit (90s, 15m, 1h 30m)"
            )
        })?,
    };
    if limit.is_zero() || limit > longest {
        return Err(format!(
            "{text} is out of range: give more than 0 and at most {said}"
        ));
    }
    Ok(limit)
}

/// A time limit as messages show it: `90s` in whole seconds, as given; `1.5s` or `500ms`
/// when it has a fraction.
pub fn shown(limit: Duration) -> String {
    if limit.subsec_nanos() == 0 {
        format!("{}s", limit.as_secs())
    } else {
        humantime::format_duration(limit).to_string()
    }
}

/// How long a command that waits for a task may take by default.
pub const WAITING_TIMEOUT: Duration = Duration::from_secs(1800);
/// How long a command that only talks to the service once may take by default.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

impl Waiting {
    /// The command's time limit: `--timeout`, or the default for waiting.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(WAITING_TIMEOUT)
    }

    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }
}

impl Command {
    /// The whole command's time limit.
    pub fn timeout(&self) -> Duration {
        match self {
            Self::Status { timeout, .. } => *timeout,
            Self::Wait { waiting, .. } => waiting.timeout(),
            Self::Mock(mock) => mock.timeout(),
            Self::Generate(generate) if generate.waits() => generate.waiting.timeout(),
            Self::Generate(generate) => generate.waiting.timeout.unwrap_or(CALL_TIMEOUT),
        }
    }

    /// How the command is named in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Generate(_) => "generate",
            Self::Status { .. } => "status",
            Self::Wait { .. } => "wait",
            Self::Mock(_) => "mock",
        }
    }
}

impl Generate {
    /// Whether the task is waited for after it is created.
    pub fn waits(&self) -> bool {
        self.wait || self.waiting.download.is_some()
    }
}

/// `123`, `64K`, `500M`, `2G` (also `KiB`, `MB`…; every unit is a power of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 500M, 2G, 1048576)"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        other => return Err(format!("unknown unit {other:?}; use K, M or G")),
    };
    number
        .checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| format!("{text:?} is not a usable size"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{parse_size, shown, time_limit, time_limit_up_to};

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("500m"), Ok(500 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
    }

    #[test]
    fn time_limits_take_whole_seconds_or_a_unit() {
        let seconds = |n| Ok(Duration::from_secs(n));
        assert_eq!(time_limit("90"), seconds(90));
        assert_eq!(time_limit(" 90s "), seconds(90));
        assert_eq!(time_limit("15m"), seconds(900));
        assert_eq!(time_limit("1h 30m"), seconds(5400));
        assert_eq!(time_limit("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(time_limit("365days"), seconds(365 * 24 * 3600));
        assert_eq!(time_limit("1y"), seconds(31_557_600));
    }

    #[test]
    fn a_time_limit_that_is_none_or_too_long_is_refused_saying_what_to_give() {
        for (bad, said) in [
            ("0", "out of range: give more than 0 and at most a year"),
            ("0s", "out of range"),
            ("366days", "at most a year"),
            ("10x", "give seconds (90) or a duration with its unit"),
            ("", "is not a time limit"),
            ("-5", "is not a time limit"),
            ("99999999999999999999", "is not a time limit"),
        ] {
            let error = time_limit(bad).unwrap_err();
            assert!(error.contains(said), "{bad}: {error}");
        }
        let hour = Duration::from_secs(3600);
        assert!(
            time_limit_up_to("61m", hour, "an hour")
                .unwrap_err()
                .ends_with("at most an hour")
        );
    }

    #[test]
    fn a_time_limit_is_shown_in_seconds_unless_it_has_a_fraction() {
        assert_eq!(shown(Duration::from_secs(1800)), "1800s");
        assert_eq!(shown(Duration::from_millis(1500)), "1s 500ms");
    }

    #[test]
    fn a_size_that_is_not_one_is_refused() {
        for bad in ["", "M", "12X", "0", "-5", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}

/// What the flags of `generate` take from the document, through the client's rule table:
/// allowed values, limits and defaults follow the document when it changes, instead of a copy
/// here.
mod document {
    use clap::builder::PossibleValuesParser;
    use mulerouter_kling::rules::{self, CREATE_GENERATION, Rule};

    fn rule(pointer: &str) -> &'static Rule {
        rules::field(CREATE_GENERATION, pointer)
            .unwrap_or_else(|| panic!("the document has no request field {pointer}"))
    }

    /// The values the document allows for the field at `pointer`.
    pub fn allowed(pointer: &str) -> PossibleValuesParser {
        PossibleValuesParser::new(rule(pointer).enumeration.iter().copied())
    }

    pub fn prompt_help() -> String {
        let prompt = rule("/prompt");
        format!(
            "Text prompt describing the transformation ({}–{} characters). Refer to elements as <<<element_1>>>, <<<element_2>>>, … in list order.",
            prompt.min_length.unwrap_or(0),
            prompt
                .max_length
                .map_or("any".into(), |max| max.to_string())
        )
    }

    pub fn element_help() -> String {
        let most = rule("/elements").max_items;
        format!(
            "An element as JSON, repeatable ({} in all), e.g.\n'{{\"type\":\"video\",\"reference_videos\":[\"https://…/clip.mp4\"]}}' or\n'{{\"type\":\"image\",\"frontal_image\":\"https://…/front.png\",\"reference_images\":[\"https://…/side.png\"]}}'",
            most.map_or("any number".into(), |most| format!("at most {most}"))
        )
    }

    pub fn duration_help() -> String {
        let duration = rule("/duration");
        let bound = |value: Option<f64>| value.map_or("?".into(), |v| format!("{v:.0}"));
        format!(
            "Duration in seconds, {} to {} [default: {}]",
            bound(duration.minimum),
            bound(duration.maximum),
            duration.default.unwrap_or("the service's")
        )
    }
}
