//! The course commands: lessons, predictions, quizzes, challenges, progress, the wizard.

use std::collections::BTreeMap;

use rtclab_lab::api::RunStatus;
use rtclab_lab::learn::{
    ChallengeResultDto, CourseDto, GuessDto, PredictionResult, Progress, QuizResult, WizardAnswer, WizardInput,
};
use tauri::State;

use crate::error::{CmdResult, from_lab};
use crate::state::AppState;

#[tauri::command]
pub async fn course(state: State<'_, AppState>) -> CmdResult<CourseDto> {
    Ok(state.learn.course())
}

#[tauri::command]
pub async fn predict(
    state: State<'_, AppState>,
    lesson: String,
    id: String,
    guess: GuessDto,
) -> CmdResult<PredictionResult> {
    state.learn.predict(&state.lab, &lesson, &id, &guess).map_err(from_lab)
}

#[tauri::command]
pub async fn answer_quiz(state: State<'_, AppState>, lesson: String, id: String, choice: u32) -> CmdResult<QuizResult> {
    state.learn.quiz(&lesson, &id, choice).map_err(from_lab)
}

#[tauri::command]
pub async fn start_challenge(
    state: State<'_, AppState>,
    lesson: String,
    id: String,
    settings: BTreeMap<String, f64>,
) -> CmdResult<RunStatus> {
    state.learn.start_challenge(&state.lab, &lesson, &id, &settings).map_err(from_lab)
}

#[tauri::command]
pub async fn check_challenge(state: State<'_, AppState>, lesson: String, id: String) -> CmdResult<ChallengeResultDto> {
    state.learn.check_challenge(&state.lab, &lesson, &id).map_err(from_lab)
}

#[tauri::command]
pub async fn complete_lesson(state: State<'_, AppState>, lesson: String) -> CmdResult<Progress> {
    state.learn.complete(&lesson).map_err(from_lab)
}

#[tauri::command]
pub async fn reset_progress(state: State<'_, AppState>) -> CmdResult<Progress> {
    state.learn.reset_progress().map_err(from_lab)
}

#[tauri::command]
pub async fn recommend(state: State<'_, AppState>, input: WizardInput) -> CmdResult<WizardAnswer> {
    state.learn.recommend(&input).map_err(from_lab)
}
