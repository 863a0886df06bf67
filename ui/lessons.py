"""One-click classroom scenes: a surface, some runs, a view, and two or three sentences.

Each lesson is a plain :class:`~ui.config.AppConfig`, so it is also a shareable link, and each makes a claim
that ``tests/test_lessons.py`` checks on what is drawn: the data the comparison view's canvas is given for it
(``ui.views.canvas_data``) at the step the page opens on. ``python -m harness.screenshots lessons`` pictures them
at 1024x768 (``docs/lessons/``).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizers import OPTIMIZERS, SCHEDULES
from plots import RunView
from surfaces import SURFACES, Surface

from .compute import compute_runs, make_surface
from .config import LESSONS, AppConfig, RunConfig, non_default, suggested_runs


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    text: str
    config: AppConfig


def _lesson(name, title, text, surface, runs, *, surface_params=(), **settings) -> Lesson:
    params = non_default(SURFACES[surface].params, dict(surface_params))
    config = AppConfig(surface=surface, surface_params=params, runs=tuple(runs), lesson=name, **settings)
    return Lesson(name, title, text, config)


def R(optimizer, label="", *, schedule="constant", schedule_params=None, batch_size=0, **hparams):
    """A run, written like a table row: ``R("sgd", "SGD", lr=0.1)``."""
    return RunConfig(
        optimizer, non_default(OPTIMIZERS[optimizer].params, hparams), schedule,
        non_default(SCHEDULES[schedule].params, schedule_params or {}), batch_size, label,
    )


for lesson in [
        _lesson(
            "zigzag", "Momentum versus zig-zag",
            "On a narrow valley the gradient points mostly across it, so gradient descent bounces from wall to "
            "wall and crawls along the floor. Momentum averages the bounces away: its path swings down the valley "
            "in smooth arcs that shrink as it goes, and reaches the minimum long before gradient descent.",
            "ill_conditioned_bowl",
            [R("sgd", "SGD", lr=0.0195), R("momentum", "Momentum", lr=0.0092, momentum=0.83)],
            surface_params=(("angle", 0.0), ("kappa", 100.0)), steps=150,
        ),
        _lesson(
            "rotated", "Rotation defeats per-coordinate scaling",
            "Adam rescales each coordinate separately. When the valley lies along an axis, that evens out the "
            "two curvatures and Adam heads for the minimum (set the rotation to 0: it arrives in about 120 "
            "steps). Rotated by 45 degrees, each coordinate sees both curvatures, the rescaling cannot separate "
            "them, and Adam creeps along the valley, no faster than gradient descent, whose path simply turns "
            "with the valley.",
            "ill_conditioned_bowl", [R("sgd", "SGD", lr=0.039), R("adam", "Adam", lr=0.2)],
            surface_params=(("angle", 45.0), ("kappa", 50.0)), steps=150,
        ),
        _lesson(
            "saddle", "Trapped on a saddle",
            "Started exactly on the ridge, the gradient has no sideways component, so gradient descent walks "
            "straight into the saddle point and stays. A little gradient noise (a small batch) breaks the "
            "symmetry and the run escapes downhill.",
            "saddle", [R("sgd", "SGD, batch 4", lr=0.05, batch_size=4), R("sgd", "SGD, full batch", lr=0.05)],
            start=(-1.8, 0.0), steps=60, noise=0.2, show_3d=True,
        ),
        _lesson(
            "adagrad_stall", "AdaGrad stalls, RMSProp keeps going",
            "AdaGrad divides by the square root of the sum of all past squared gradients. The sum only grows, "
            "so its steps shrink like 1/√t and it stalls on the plateau. RMSProp divides by a moving average "
            "instead, forgets old gradients, and keeps a steady step until it reaches the well.",
            "plateau", [R("rmsprop", "RMSProp", lr=0.02), R("adagrad", "AdaGrad", lr=0.02)], steps=300,
        ),
        _lesson(
            "overshoot", "Momentum overshoots",
            "With momentum close to 1 the velocity carries the iterate past the minimum, and it spirals in "
            "slowly. Less momentum damps the oscillation.",
            "ill_conditioned_bowl",
            [R("momentum", "μ = 0.95", lr=0.02, momentum=0.95), R("momentum", "μ = 0.6", lr=0.02, momentum=0.6)],
            surface_params=(("angle", 20.0), ("kappa", 5.0)), steps=150,
        ),
        _lesson(
            "bias_correction", "What Adam's bias correction does",
            "Adam's moments start at zero, so at first they are biased towards zero: m by the factor 1 − β₁ᵗ and "
            "v by 1 − β₂ᵗ. Without correction the first step is scaled by (1 − β₁)/√(1 − β₂): about 3 times too "
            "large for the default β₂ = 0.999 (the overshoot Kingma and Ba warn about), and about 3 times too "
            "small for β₂ = 0.9, a slow start. Dividing by 1 − βᵗ makes both start right.",
            "ill_conditioned_bowl",
            [R("adam", "without, β₂ = 0.999", lr=0.3, bias_correction=False),
             R("adam", "with bias correction", lr=0.3),
             R("adam", "without, β₂ = 0.9", lr=0.3, beta2=0.9, bias_correction=False)],
            surface_params=(("angle", 0.0), ("kappa", 4.0)), steps=10,
        ),
        _lesson(
            "too_large", "A learning rate too large diverges",
            "On a quadratic, gradient descent converges only when η < 2/λmax. Here λmax = 10, so the threshold "
            "is 0.2: just below it the path oscillates but converges; just above, each step overshoots more "
            "than the last and the run diverges.",
            "ill_conditioned_bowl", [R("sgd", "η = 0.22", lr=0.22), R("sgd", "η = 0.19", lr=0.19)],
            surface_params=(("angle", 0.0), ("kappa", 10.0)), steps=60,
        ),
        _lesson(
            "newton", "Newton versus gradient descent",
            "Newton's method rescales the step by the inverse Hessian. Taking half of each Newton step (η = 0.5), "
            "it stays on the floor of Rosenbrock's curved valley and arrives in about 40 steps (the full step, "
            "η = 1, gets there in 5 but cuts across the valley). Gradient descent, at a rate just below the "
            "stability limit at its start, crawls along the same floor and after 1,000 steps is still on its way.",
            "rosenbrock", [R("newton", "Newton, η = 0.5", lr=0.5), R("sgd", "Gradient descent", lr=0.0012)],
            steps=1000,
        ),
        _lesson(
            "newton_saddle", "Newton is attracted to saddles",
            "Plain Newton jumps to the stationary point of its local quadratic model, whatever its type: started "
            "below one of Himmelblau's saddle points, it converges to the saddle. Saddle-free Newton flips the "
            "sign of the negative curvature, moves downhill instead, and finds a minimum.",
            "himmelblau", [R("newton", "Newton", lr=0.5), R("newton", "Saddle-free Newton", lr=0.5,
                                                           hessian_fix="saddle_free")],
            start=(1.5, -4.0), steps=30, show_3d=True,
        ),
        _lesson(
            "bfgs", "BFGS on Rosenbrock",
            "BFGS builds an estimate of the inverse Hessian from the gradients it has seen and picks each step "
            "length with a Wolfe line search. It reaches Rosenbrock's minimum in a few dozen steps without ever "
            "computing a second derivative, while Adam is still on its way. Nonlinear conjugate gradient, which "
            "stores no matrix at all, takes its own path there and needs more than twice as many gradients.",
            "rosenbrock", [R("cg", "Nonlinear CG"), R("bfgs", "BFGS"), R("adam", "Adam", lr=0.05)],
            start=(1.8, 0.0), steps=200,
        ),
        _lesson(
            "sharp_flat", "Small batches find flat minima",
            "Both runs start in the sharp minimum. With batch size 1 the gradient noise kicks the iterate out of "
            "the narrow well, and it rolls into the wide one, where the same noise cannot dislodge it; with "
            "batch size 256 the noise is 16 times smaller and the run stays. Open the noise-ensemble view to "
            "count how often this happens.",
            "sharp_and_flat",
            [R("sgd", "SGD, batch 1", lr=0.02, batch_size=1), R("sgd", "SGD, batch 256", lr=0.02, batch_size=256)],
            steps=400, noise=4.0, seed=0,
        ),
        _lesson(
            "schedules", "Learning-rate decay",
            "With noisy gradients a constant learning rate keeps the iterate bouncing around the minimum: each "
            "step is a fresh kick of size η times the noise. Decaying the rate (exponential or step decay) "
            "shrinks the kicks, and the run settles; a decayed rate can even start larger.",
            "ill_conditioned_bowl",
            [R("sgd", "constant", lr=0.05, batch_size=1),
             R("sgd", "step decay from η = 0.1", lr=0.1, batch_size=1, schedule="step",
               schedule_params={"step_size": 30, "gamma": 0.5}),
             R("sgd", "exponential decay", lr=0.05, batch_size=1, schedule="exponential",
               schedule_params={"gamma": 0.99})],
            surface_params=(("angle", 0.0), ("kappa", 4.0)), steps=300, noise=14.0, seed=2,
        ),
        _lesson(
            "batch_generalization", "Small batches generalize better",
            "Both runs start in the sharp minimum, where the 64 examples disagree: batches of 8 are thrown out "
            "within a few dozen steps and settle in the flat basin, where they agree; the full batch stays. The "
            "sharp minimum fits the training data better and the test data worse: see the model chart and the gap "
            "in the summary.",
            "sharp_flat_data",
            # the full batch drawn last: its path is a dot in the sharp well, where the batch-8 path starts too
            [R("sgd", "SGD, batch 8", lr=0.04, batch_size=8), R("sgd", "SGD, full batch", lr=0.04)],
            steps=600,
        ),
    ]:
    LESSONS.add(lesson)  # the settings table offers them, and a link ?lesson=NAME opens one


def scene_views(config: AppConfig) -> tuple[Surface, list[RunView]]:
    """The surface and the runs of a scene as the comparison view draws them."""
    return make_surface(config.surface, config.surface_params), compute_runs(config)


def surface_scene(surface: str, **settings) -> AppConfig:
    """The scene a surface opens with: its default parameters and start, and its suggested runs."""
    return AppConfig(surface=surface, runs=suggested_runs(surface), **settings)
