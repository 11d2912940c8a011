"""Stage `train`: fit the residual SR network on random LR/HR patch pairs.

    python -m pipeline.stages.train data/lr data/hr models metrics/train plots/train

Writes models/model.keras (the best epoch by validation Y-PSNR; loads with plain
`keras.models.load_model`), models/savedmodel (TF SavedModel for serving) and
dvclive logs under metrics/train (loss, val PSNR and learning rate per epoch), and the
same curves as PNG in plots/train.

With `train.init` (a model in models/init/) the run fine-tunes that model's weights
instead of starting from random ones; the architecture params must match it.

Interrupted runs resume: every epoch ends with a checkpoint in --checkpoint (default
checkpoints/train, git- and DVC-ignored: it is working state, not a result, so a pulled
repository has nothing to reproduce). A re-run with the same params, data and code
continues from it and ends with the same model as an uninterrupted run
(pipeline/training/loop.py).

In a cluster (TF_CONFIG, MultiWorkerMirroredStrategy) every worker runs this same command;
only the chief writes the outputs and the dvclive logs, the others write their model and
checkpoints into a temp folder that is deleted.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.cli import stage_params, stage_parser
from pipeline.imaging import charts
from pipeline.outputs import reset_folder
from pipeline.training.checkpoint import Checkpoint, fingerprint
from pipeline.training.devices import configure_tensorflow, cpu_devices_from_env, is_chief, worker_outputs
from pipeline.training.loop import Diverged, train
from pipeline.training.patches import load_pairs
from pipeline.training.saving import export
from pipeline.training.warm_start import InitMismatch, initial_weights

log = logging.getLogger(__name__)


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("lr", type=Path, help="LR images (train/, val/)")
    parser.add_argument("hr", type=Path, help="HR images (train/, val/)")
    parser.add_argument("models", type=Path, help="output folder for model.keras and savedmodel/")
    parser.add_argument("logs", type=Path, help="dvclive folder, e.g. metrics/train")
    parser.add_argument("charts", type=Path, help="folder for the curves as PNG, e.g. plots/train")
    parser.add_argument("--checkpoint", type=Path, default=Path("checkpoints/train"),
                        help="resume state (default: checkpoints/train)")
    parser.add_argument("--stop-after", type=int, default=None,
                        help="stop after this many epochs, as if interrupted (for tests)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    p = stage_params(args)
    configure_tensorflow(p.train.draws_seed(p.base), cpu_devices_from_env())

    lr, hr = load_pairs(args.lr / "train", args.hr / "train", p.base.scale)
    val = load_pairs(args.lr / "val", args.hr / "val", p.base.scale)
    log.info("training on %d images (%.2f MP), validating on %d whole images", len(hr),
             sum(x.shape[0] * x.shape[1] for x in hr) / 1e6, len(val[0]))
    try:
        init = initial_weights(Path(p.train.init), p.model, p.base.scale) if p.train.init else None
    except InitMismatch as e:
        raise SystemExit(f"train: {e}") from None
    with worker_outputs([args.models, args.logs, args.charts, args.checkpoint]) as (models, logs, plots, resume):
        # The starting weights are part of what a checkpoint must match, as the data is.
        checkpoint = Checkpoint(resume, fingerprint(p.base, p.model, p.train, [lr, hr, *val, init or []]))
        try:
            # dvclive only on the chief: its logs are no collective work, and every Live marks
            # and removes a signal file in the DVC root it finds from the working directory
            # (for DVC's VS Code extension), so two workers in one checkout race to remove it
            # and one dies with FileNotFoundError (seen in the cluster test).
            if not is_chief():
                log.info("not the chief: this worker writes no dvclive logs")
            model, state = train(lr, hr, val, p.base, p.model, p.train, checkpoint,
                                 logs if is_chief() else None, args.stop_after, init)
        except Diverged as e:
            raise SystemExit(f"train: {e}") from None
        if state["epoch"] < p.train.epochs:
            raise SystemExit(f"train: stopped after epoch {state['epoch']} of {p.train.epochs}; "
                             f"run again to resume from {args.checkpoint}")
        export(model, models)
        reset_folder(plots, ("*.png",))
        charts.training_curves(state["history"], plots)
    print(f"train: best val Y-PSNR {state['best']['val_psnr_y']:.3f} dB at epoch "
          f"{state['best']['epoch']}; wrote {args.models / 'model.keras'}")


if __name__ == "__main__":
    main()
