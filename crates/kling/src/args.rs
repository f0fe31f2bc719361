//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
        task_id: uuid::Uuid,
    },
    /// Wait for a task to finish (and optionally download the result).
    Wait {
        /// The task id printed by `generate`.
        task_id: uuid::Uuid,
        #[command(flatten)]
        waiting: Waiting,
    },
}

#[derive(Debug, Args)]
pub struct Generate {
    /// Text prompt describing the transformation (1–2500 characters). Refer to elements as
    /// <<<element_1>>>, <<<element_2>>>, … in list order.
    #[arg(long)]
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

    /// std (720P) or pro (1080P); the service defaults to pro.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,

    /// Aspect ratio of the output; the service decides when omitted.
    #[arg(long, value_enum)]
    pub aspect_ratio: Option<AspectRatioArg>,

    /// Duration in seconds, 3 to 15.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
    pub duration: i64,

    /// An element as JSON, repeatable (at most 4 in all), e.g.
    /// '{"type":"video","reference_videos":["https://…/clip.mp4"]}' or
    /// '{"type":"image","frontal_image":"https://…/front.png","reference_images":["https://…/side.png"]}'.
    #[arg(long = "element", value_name = "JSON")]
    pub elements: Vec<String>,

    /// A JSON file holding an array of elements (added before any --element).
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
    /// Download the result videos into this directory (implies waiting).
    #[arg(long, value_name = "DIR")]
    pub download: Option<PathBuf>,

    /// Give up waiting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

impl Waiting {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Std,
    Pro,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AspectRatioArg {
    #[value(name = "16:9")]
    Wide,
    #[value(name = "9:16")]
    Tall,
    #[value(name = "1:1")]
    Square,
}
