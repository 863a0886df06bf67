"""Our first-order optimizers and schedules give torch.optim's iterates, in float64.

The torch side is the reference: a ``torch.nn.Parameter`` of shape (N, 2) whose ``.grad`` is set from the
surface's exact gradient before every ``opt.step()`` (``foreach=False`` pins torch's single-tensor code).
Hyperparameters use torch's names; Adam's ``betas`` are our ``beta1`` and ``beta2``.

torch keeps some scalar state (NAdam's ``mu_product``, the step counters) in ``torch.get_default_dtype()``
when that is not float64, i.e. in float32 by default: NAdam's iterates then differ from float64 ones by
~1e-10. The fixture below makes float64 the default dtype, which is what "the same algorithm in float64" means.
"""

import numpy as np
import pytest

from optimizers import OPTIMIZERS, get_optimizer, make_schedule, run
from surfaces import get_surface

torch = pytest.importorskip("torch")
optim = torch.optim

STEPS = 60
# Observed differences are rounding only (torch's kernels use fused multiply-adds and lerp): at most 1e-13
# relative and 2e-14 absolute after 60 steps here. These bounds leave 100x for other CPUs and builds, while
# a wrong formula (a missing bias correction, a swapped beta) is off by orders of magnitude more.
RTOL, ATOL = 1e-11, 1e-13

SURFACES = {
    "rosenbrock": (dict(), [(-1.2, 1.0), (0.5, -0.5), (1.5, 2.0)]),
    "ill_conditioned_bowl": (dict(kappa=10, angle=30), [(-9.0, 3.0), (4.0, 4.0), (-2.0, -6.0)]),
}

# (our name, our kwargs, torch class, torch kwargs). Rows with only ``lr`` check that our other defaults are
# torch's (our momentum/nesterov default momentum is 0.9, torch's SGD is 0, so it is given explicitly).
CASES = [
    ("sgd", dict(lr=1e-3), optim.SGD, dict(lr=1e-3)),
    ("sgd", dict(lr=2e-3, weight_decay=0.1), optim.SGD, dict(lr=2e-3, weight_decay=0.1)),
    ("momentum", dict(lr=1e-3), optim.SGD, dict(lr=1e-3, momentum=0.9)),
    ("momentum", dict(lr=1e-3, momentum=0.8, dampening=0.3, weight_decay=0.05),
     optim.SGD, dict(lr=1e-3, momentum=0.8, dampening=0.3, weight_decay=0.05)),
    ("nesterov", dict(lr=1e-3), optim.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True)),
    ("nesterov", dict(lr=1e-3, momentum=0.7, weight_decay=0.1),
     optim.SGD, dict(lr=1e-3, momentum=0.7, nesterov=True, weight_decay=0.1)),
    ("adagrad", dict(lr=0.1), optim.Adagrad, dict(lr=0.1)),
    ("adagrad", dict(lr=0.2, lr_decay=0.05, initial_accumulator_value=0.5, eps=1e-6, weight_decay=0.1),
     optim.Adagrad, dict(lr=0.2, lr_decay=0.05, initial_accumulator_value=0.5, eps=1e-6, weight_decay=0.1)),
    ("rmsprop", dict(lr=0.01), optim.RMSprop, dict(lr=0.01)),
    ("rmsprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1),
     optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("rmsprop", dict(lr=0.005, momentum=0.9, eps=1e-4), optim.RMSprop, dict(lr=0.005, momentum=0.9, eps=1e-4)),
    ("adadelta", dict(lr=1.0), optim.Adadelta, dict(lr=1.0)),
    ("adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1),
     optim.Adadelta, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("adam", dict(lr=0.01), optim.Adam, dict(lr=0.01)),
    ("adam", dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1),
     optim.Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adam", dict(lr=0.02, beta2=0.9, amsgrad=True), optim.Adam, dict(lr=0.02, betas=(0.9, 0.9), amsgrad=True)),
    ("adamw", dict(lr=0.01), optim.AdamW, dict(lr=0.01)),
    ("adamw", dict(lr=0.02, beta1=0.7, weight_decay=0.2, amsgrad=True),
     optim.AdamW, dict(lr=0.02, betas=(0.7, 0.999), weight_decay=0.2, amsgrad=True)),
    ("nadam", dict(lr=0.01), optim.NAdam, dict(lr=0.01)),
    ("nadam", dict(lr=0.02, beta1=0.8, beta2=0.99, weight_decay=0.1, momentum_decay=0.01),
     optim.NAdam, dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("radam", dict(lr=1e-3), optim.RAdam, dict(lr=1e-3)),
    # rho_t passes 5 at step 6, so both of RAdam's branches run; beta2 = 0.9 keeps the rectifier r_t far from 1
    ("radam", dict(lr=2e-3, beta2=0.9, weight_decay=0.1),
     optim.RAdam, dict(lr=2e-3, betas=(0.9, 0.9), weight_decay=0.1)),
    ("adamax", dict(lr=0.01), optim.Adamax, dict(lr=0.01)),
    ("adamax", dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-3, weight_decay=0.1),
     optim.Adamax, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1)),
]

# (our schedule, torch scheduler class and kwargs); SGD-momentum on the bowl, base rate 0.05.
SCHEDULE_CASES = [
    (("step", dict(step_size=10, gamma=0.5)), (optim.lr_scheduler.StepLR, dict(step_size=10, gamma=0.5))),
    (("exponential", dict(gamma=0.95)), (optim.lr_scheduler.ExponentialLR, dict(gamma=0.95))),
    (("cosine", dict(t_max=STEPS, lr_min=1e-3)),
     (optim.lr_scheduler.CosineAnnealingLR, dict(T_max=STEPS, eta_min=1e-3))),
    # past T_max torch's cosine rises again, and so does ours
    (("cosine", dict(t_max=STEPS // 3, lr_min=1e-3)),
     (optim.lr_scheduler.CosineAnnealingLR, dict(T_max=STEPS // 3, eta_min=1e-3))),
    (("cosine", dict(t_max=STEPS, lr_min=0.0)), (optim.lr_scheduler.CosineAnnealingLR, dict(T_max=STEPS))),
]


@pytest.fixture(autouse=True)
def float64_default():
    """torch's scalar optimizer state (NAdam's mu_product) in float64, as our state is."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def clip_each_row(grad, max_norm):
    """torch.nn.utils.clip_grad_norm_ applied to each row of ``grad`` as if it were a model of its own."""
    rows = []
    for g in grad:
        holder = torch.nn.Parameter(torch.zeros_like(g))
        holder.grad = g.clone()
        torch.nn.utils.clip_grad_norm_([holder], max_norm)
        rows.append(holder.grad)
    return torch.stack(rows)


def torch_trajectory(surface, x0, make_optimizer, steps, *, make_scheduler=None, clip_norm=None):
    """Iterates (steps+1, N, 2) and learning rates (steps,) of a torch optimizer fed the exact gradient."""
    p = torch.nn.Parameter(torch.tensor(np.asarray(x0, dtype=float), dtype=torch.float64))
    opt = make_optimizer([p])
    scheduler = make_scheduler(opt) if make_scheduler else None
    xs, lrs = [p.detach().numpy().copy()], []
    for _ in range(steps):
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy()))
        if clip_norm is not None:
            p.grad = clip_each_row(p.grad, clip_norm)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if scheduler is not None:
            scheduler.step()
        xs.append(p.detach().numpy().copy())
    return np.array(xs), np.array(lrs)


def case_id(case):
    """A readable test id: the optimizer and our non-default settings."""
    name, ours = case[0], case[1]
    return name + "-" + "-".join(f"{k}={v}" for k, v in ours.items())


@pytest.mark.parametrize("surface_name", list(SURFACES))
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_iterates_equal_torch(case, surface_name):
    name, ours, torch_class, torch_kwargs = case
    params, starts = SURFACES[surface_name]
    surface = get_surface(surface_name, **params)
    expected, _ = torch_trajectory(
        surface, starts, lambda ps: torch_class(ps, foreach=False, **torch_kwargs), STEPS
    )
    assert np.all(np.isfinite(expected)), "pick hyperparameters whose torch trajectory stays finite"
    traj = run(get_optimizer(name, **ours), surface, starts, STEPS)
    assert np.all(traj.diverged_at == -1)
    np.testing.assert_allclose(traj.xs, expected, rtol=RTOL, atol=ATOL)


def test_the_table_covers_every_torch_optimizer():
    """Every optimizer registered as torch's is compared, with non-default settings."""
    covered = {name for name, *_ in CASES}
    assert covered == {n for n, s in OPTIMIZERS.items() if s.torch}
    for name in covered:
        assert sum(1 for n, *_ in CASES if n == name) >= 2


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=lambda c: c[0][0] + str(c[0][1]))
def test_schedules_equal_torch_schedulers(case):
    (schedule_name, schedule_params), (scheduler_class, scheduler_kwargs) = case
    surface = get_surface("ill_conditioned_bowl", kappa=10, angle=30)
    starts = SURFACES["ill_conditioned_bowl"][1]
    expected, expected_lrs = torch_trajectory(
        surface, starts, lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, foreach=False), STEPS,
        make_scheduler=lambda opt: scheduler_class(opt, **scheduler_kwargs),
    )
    assert np.all(np.isfinite(expected))
    schedule = make_schedule(schedule_name, 0.05, **schedule_params)
    traj = run(get_optimizer("momentum", lr=schedule, momentum=0.9), surface, starts, STEPS)
    np.testing.assert_allclose(traj.lrs, np.repeat(expected_lrs[:, None], len(starts), axis=1), rtol=1e-13, atol=0)
    assert len(set(expected_lrs)) > 2  # the schedule really changed the rate
    np.testing.assert_allclose(traj.xs, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("clip_norm", [1.0, 10.0])
def test_gradient_clipping_equals_torch_clip_grad_norm(clip_norm):
    """``clip_norm`` is torch.nn.utils.clip_grad_norm_ applied to each trajectory's gradient.

    On the bowl, not Rosenbrock: torch's norm is rounded differently in the last bit (a fused multiply-add),
    and Rosenbrock's walls amplify that to 1e-5 within 60 steps, whereas the bowl contracts it.
    """
    surface = get_surface("ill_conditioned_bowl", kappa=10, angle=30)
    starts = SURFACES["ill_conditioned_bowl"][1]
    make = lambda ps: optim.SGD(ps, lr=0.02, momentum=0.9, foreach=False)  # noqa: E731
    expected, _ = torch_trajectory(surface, starts, make, STEPS, clip_norm=clip_norm)
    assert np.all(np.isfinite(expected))
    traj = run(get_optimizer("momentum", lr=0.02, momentum=0.9), surface, starts, STEPS, clip_norm=clip_norm)
    np.testing.assert_allclose(traj.xs, expected, rtol=RTOL, atol=ATOL)
    # clipping changed the path: without it the trajectories differ
    unclipped = run(get_optimizer("momentum", lr=0.02, momentum=0.9), surface, starts, STEPS)
    assert not np.allclose(unclipped.xs, expected)
