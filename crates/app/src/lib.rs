//! The shell-agnostic core of RTC Lab: what the desktop app and `rtc-lab serve` both drive.
//! Nothing here knows Tauri, HTTP or a terminal.
//!
//! - [`ops`]: the control API declared once (the [`Api`](ops::Api) trait, [`dispatch`](ops::dispatch),
//!   the generated TypeScript client); [`App`] implements it.
//! - [`service`]: the `Lab`: runs in the background, the current trace, the live stream,
//!   exports, import.
//! - [`live`]: the figures of a run as it goes, from the same accumulator as the final ones.
//! - [`learn`]: the course as the UI sees it, progress storage, the wizard.
//! - [`course`]: the built-in course, or a learner's folder.
//! - [`nat`]: the NAT lab's operations (the lab itself is `rtclab-natlab`); [`nat_live`]: its
//!   live runs, paced, signalling through the lab's WebSocket relay and the tap.
//! - [`cluster`]: the scaling lab's cluster runs (the lab itself is `rtclab-cluster`).
//! - [`practice`]: the measured WebSockets-vs-WebRTC table (the lab itself is `rtclab-practice`).
//! - [`call`]: media calls, mesh vs SFU, and N against bandwidth (the lab itself is `rtclab-call`).
//! - [`compare`]: runs techniques one after another under one workload; plain-language findings.
//! - [`api`]: the types that cross to the UI (TypeScript generated with ts-rs).
//! - [`error`]: `LabError`, `{kind, message}` for the UI.
//! - [`har`]: HAR 1.2 export, WebSocket frames included.
//! - [`plots`]: the engine's SVG charts (for the CLI and for export).

pub mod api;
pub mod call;
pub mod cluster;
pub mod compare;
pub mod course;
pub mod error;
pub mod har;
pub mod learn;
pub mod live;
pub mod nat;
pub mod nat_live;
pub mod ops;
pub mod plots;
pub mod practice;
pub mod service;

use std::path::Path;

pub use error::LabError;
use ops::{BlockRef, ChallengeStart, ExperimentStart, ExportPlot, ExportTrace, ImportTrace, LessonRef, QuizAnswer};
use ops::{TraceFormat, TraceSince};

/// The lab and its course: the one object both doors hold. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub lab: service::Lab,
    pub learn: learn::Learn,
}

impl App {
    pub fn new(lessons: course::LessonSource, data_dir: &Path) -> Self {
        App { lab: service::Lab::new(), learn: learn::Learn::new(lessons, data_dir) }
    }

    /// The course from `RTCLAB_LESSONS_DIR` or the built-in one; progress in the default data dir.
    pub fn from_env() -> Self {
        Self::new(course::LessonSource::from_env(), &learn::default_data_dir())
    }
}

impl ops::Api for App {
    fn list_experiments(&self, _: ()) -> Result<api::Catalog, LabError> {
        Ok(self.lab.catalog())
    }
    fn start_run(&self, request: api::StartRun) -> Result<api::RunStatus, LabError> {
        self.lab.start(request)
    }
    fn stop_run(&self, _: ()) -> Result<api::RunStatus, LabError> {
        Ok(self.lab.stop())
    }
    fn run_status(&self, _: ()) -> Result<api::RunStatus, LabError> {
        Ok(self.lab.status())
    }
    fn trace_since(&self, r: TraceSince) -> Result<api::EventPage, LabError> {
        Ok(api::EventPage::of(self.lab.trace_since(r.from)))
    }
    fn export_trace(&self, r: ExportTrace) -> Result<String, LabError> {
        Ok(match r.format {
            TraceFormat::Jsonl => self.lab.export_jsonl(),
            TraceFormat::Har => self.lab.export_har(),
        })
    }
    fn export_plot(&self, r: ExportPlot) -> Result<String, LabError> {
        self.lab.export_plot(&r.name)
    }
    fn import_trace(&self, r: ImportTrace) -> Result<api::RunStatus, LabError> {
        self.lab.import_jsonl(&r.text)
    }
    fn course(&self, _: ()) -> Result<learn::CourseDto, LabError> {
        Ok(self.learn.course(&self.lab))
    }
    fn start_experiment(&self, r: ExperimentStart) -> Result<api::RunStatus, LabError> {
        self.learn.start_experiment(&self.lab, &r.lesson, &r.id, &r.guesses)
    }
    fn predict(&self, r: BlockRef) -> Result<learn::PredictionResult, LabError> {
        self.learn.predict(&self.lab, &r.lesson, &r.id)
    }
    fn answer_quiz(&self, r: QuizAnswer) -> Result<learn::QuizResult, LabError> {
        self.learn.quiz(&r.lesson, &r.id, r.choice)
    }
    fn start_challenge(&self, r: ChallengeStart) -> Result<api::RunStatus, LabError> {
        self.learn.start_challenge(&self.lab, &r.lesson, &r.id, &r.settings)
    }
    fn check_challenge(&self, r: BlockRef) -> Result<learn::ChallengeResultDto, LabError> {
        self.learn.check_challenge(&self.lab, &r.lesson, &r.id)
    }
    fn complete_lesson(&self, r: LessonRef) -> Result<learn::Progress, LabError> {
        self.learn.complete(&r.lesson)
    }
    fn reset_progress(&self, _: ()) -> Result<learn::Progress, LabError> {
        self.learn.reset_progress()
    }
    fn recommend(&self, input: learn::WizardInput) -> Result<learn::WizardAnswer, LabError> {
        self.learn.recommend(&input)
    }
    fn test_recommendation(&self, input: learn::WizardInput) -> Result<api::RunStatus, LabError> {
        self.learn.test_recommendation(&self.lab, &input)
    }
    fn wizard_verdict(&self, input: learn::WizardInput) -> Result<learn::verdict::WizardVerdict, LabError> {
        self.learn.wizard_verdict(&self.lab, &input)
    }
    fn run_nat_block(&self, r: learn::NatBlockRun) -> Result<learn::NatBlockResult, LabError> {
        self.learn.run_nat_block(&r)
    }
    fn run_webrtc_block(&self, r: learn::WebrtcBlockRun) -> Result<learn::WebrtcBlockResult, LabError> {
        self.learn.run_webrtc_block(&r)
    }
    fn run_cluster_block(&self, r: learn::ClusterBlockRun) -> Result<learn::ClusterBlockResult, LabError> {
        self.learn.run_cluster_block(&r)
    }
    fn nat_catalog(&self, _: ()) -> Result<rtclab_natlab::view::NatCatalog, LabError> {
        Ok(nat::nat_catalog())
    }
    fn cluster_catalog(&self, _: ()) -> Result<rtclab_cluster::experiment::ClusterCatalog, LabError> {
        Ok(rtclab_cluster::experiment::catalog())
    }
    fn start_lb_check(&self, r: rtclab_cluster::sessions::SessionCheckRequest) -> Result<api::RunStatus, LabError> {
        cluster::start_lb_check(&self.lab, &r)
    }
    fn start_cluster(&self, r: rtclab_cluster::experiment::ClusterRunRequest) -> Result<api::RunStatus, LabError> {
        cluster::start(&self.lab, &r)
    }
    fn start_nat_live(&self, r: nat_live::NatLiveRequest) -> Result<nat_live::NatLive, LabError> {
        nat_live::start(&self.lab, &r)
    }
    fn nat_live_speed(&self, r: nat_live::NatSpeed) -> Result<nat_live::NatLive, LabError> {
        nat_live::set_speed(&self.lab, &r)
    }
    fn nat_run(&self, r: rtclab_natlab::view::NatRunRequest) -> Result<rtclab_natlab::view::NatRunView, LabError> {
        nat::nat_run(&r)
    }
    fn nat_trickle(
        &self,
        r: rtclab_natlab::view::NatRunRequest,
    ) -> Result<rtclab_natlab::trickle::TrickleComparison, LabError> {
        nat::nat_trickle(&r)
    }
    fn nat_matrix(
        &self,
        r: rtclab_natlab::matrix::NatMatrixRequest,
    ) -> Result<rtclab_natlab::matrix::Matrix, LabError> {
        nat::nat_matrix(&r)
    }
    fn webrtc_vs_ws_defaults(&self, _: ()) -> Result<rtclab_practice::compare::TableRequest, LabError> {
        Ok(rtclab_practice::compare::TableRequest::default())
    }
    fn send_file_defaults(&self, _: ()) -> Result<rtclab_practice::file_transfer::SendFileRequest, LabError> {
        Ok(rtclab_practice::file_transfer::SendFileRequest::default())
    }
    fn start_send_file(&self, r: rtclab_practice::file_transfer::SendFileRequest) -> Result<api::RunStatus, LabError> {
        practice::start_send_file(&self.lab, &r)
    }
    fn start_browser_peer(&self, _: ()) -> Result<api::RunStatus, LabError> {
        practice::start_browser_peer(&self.lab)
    }
    fn start_webrtc_vs_ws(&self, r: rtclab_practice::compare::TableRequest) -> Result<api::RunStatus, LabError> {
        practice::start(&self.lab, &r)
    }
    fn call_defaults(&self, _: ()) -> Result<rtclab_call::request::CallRequest, LabError> {
        Ok(rtclab_call::request::CallRequest::default())
    }
    fn run_call(&self, r: rtclab_call::request::CallRequest) -> Result<rtclab_call::CallReport, LabError> {
        call::run_call(&r)
    }
    fn call_sweep(&self, r: rtclab_call::request::CallRequest) -> Result<rtclab_call::sweep::Sweep, LabError> {
        call::call_sweep(&r)
    }
    fn nat_discover(
        &self,
        r: rtclab_natlab::discover::NatDiscoverRequest,
    ) -> Result<rtclab_natlab::discover::Discovery, LabError> {
        nat::nat_discover(&r)
    }
}
