//! The cross-check before a head flip or a verdict (issue 13): with `--l1-cross-check-url`,
//! every such endpoint must reach the view the primary verified. Without any, nothing is asked.

use super::Cycle;
use super::report::Observed;
use crate::commands::cross_check_failed;
use crate::commands::fold::Folded;
use crate::l1::inputs::{Base, InputSpec, Paused};
use crate::outcome::Stop;
use crate::state::checkpoint::LoadedHead;
use crate::state::rollback;

impl Cycle<'_> {
    /// Before a head flip or a verdict that rests on inputs: every cross-check endpoint re-runs
    /// the stream the fold verified (from the head, or from a resume point whose own inputs
    /// were confirmed when it was saved) and reaches the same block hash, input count and
    /// inputs.
    pub(super) async fn confirm_inputs(
        &self,
        folded: &Folded,
        observed: &mut Observed,
    ) -> Result<(), Stop> {
        let Some(cross) = self.cross else {
            return Ok(());
        };
        let spec = InputSpec::of(self.config);
        let checked = cross
            .inputs(
                self.l1,
                &spec,
                folded.base,
                &folded.verified,
                self.config.l1_confirmation,
            )
            .await;
        self.settle(
            checked.map_err(|f| cross_check_failed(f, self.events)),
            observed,
        )
    }

    /// Before a catch-up saves (base, at] as a resume point: every cross-check endpoint reaches
    /// the same inputs with the same partial proof.
    pub(super) async fn confirm_progress(
        &self,
        base: Base,
        paused: &Paused,
        observed: &mut Observed,
    ) -> Result<bool, Stop> {
        let Some(cross) = self.cross else {
            return Ok(false);
        };
        let spec = InputSpec::of(self.config);
        let checked = cross
            .inputs_upto(self.l1, &spec, base, paused, self.config.l1_confirmation)
            .await;
        self.settle(
            checked.map_err(|f| cross_check_failed(f, self.events)),
            observed,
        )?;
        Ok(true)
    }

    /// Before a reorg or regression verdict or a rollback: every cross-check endpoint sees the
    /// same hashes as the primary at the head's and the retained checkpoints' blocks.
    pub(super) async fn confirm_hashes(
        &self,
        head: &LoadedHead,
        observed: &mut Observed,
    ) -> Result<(), Stop> {
        let Some(cross) = self.cross else {
            return Ok(());
        };
        let mut blocks = vec![head.head.block];
        blocks.extend(
            rollback::candidates(self.state, &head.name())
                .iter()
                .map(|c| c.block),
        );
        let checked = cross.hashes(self.l1, &blocks).await;
        self.settle(
            checked.map_err(|f| cross_check_failed(f, self.events)),
            observed,
        )
    }

    fn settle(&self, checked: Result<(), Stop>, observed: &mut Observed) -> Result<(), Stop> {
        observed.endpoints_agree = Some(checked.is_ok());
        checked
    }
}
