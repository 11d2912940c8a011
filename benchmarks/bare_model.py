"""A model's own speed, without the tool around it: what the tool and the service are held against."""

from __future__ import annotations

import statistics
import time


def model_speed(run, scale: int, side: int, repeats: int = 11) -> float:
    """Output MP/s of the bare model `run`, compiled for one fixed (1, side, side, 3) input."""
    import tensorflow as tf

    x = tf.random.uniform((1, side, side, 3))
    for _ in range(2):
        run(x).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x).numpy()
        times.append(time.perf_counter() - start)
    return (side * scale) ** 2 / 1e6 / statistics.median(times)


class BareModel:
    """A shipped model (by name) or a .keras file, loaded and compiled in this process."""

    def __init__(self, spec: str, precision: str = "float32") -> None:
        import tensorflow as tf

        from pipeline.upscaling.inference import load_model, model_scale
        from pipeline.upscaling.models import choose
        from pipeline.upscaling.precision import bfloat16_copy

        self.spec, self.precision = spec, precision
        self.path = choose(spec).path
        self.model = load_model(self.path)
        if precision == "bfloat16":
            self.model = bfloat16_copy(self.model)
        self.scale = model_scale(self.model)
        self.compiled = tf.function(lambda x: self.model(x, training=False))

    def alone(self, sides: tuple[int, ...] = (256, 512), repeats: int = 11) -> dict[str, float]:
        """Output MP/s at each fixed LR window side: measured just before and after a run
        it is compared with, since these machines drift by up to 30 % within minutes."""
        return {f"{side}x{side}": round(model_speed(self.compiled, self.scale, side, repeats), 3) for side in sides}
