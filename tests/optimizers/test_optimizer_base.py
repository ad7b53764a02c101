"""The Optimizer contract (steps, clipping, slots, config, dtypes), checked with SGD and RMSprop against
hand-written references of Keras's documented updates."""

import numpy as np
import pytest

from minikeras import optimizers

STEPS = 5


def gradient_sequence(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape) for shape in shapes] for _ in range(STEPS)]


def initial_params(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 2)), rng.normal(size=(2,))]


class ReferenceSGD:
    def __init__(self, lr, momentum=0.0, nesterov=False):
        self.lr, self.momentum, self.nesterov, self.velocity = lr, momentum, nesterov, {}

    def step(self, index, w, g):
        if self.momentum == 0:
            return w - self.lr * g
        v = self.momentum * self.velocity.get(index, 0.0) - self.lr * g
        self.velocity[index] = v
        return w + self.momentum * v - self.lr * g if self.nesterov else w + v


class ReferenceRMSprop:
    def __init__(self, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        self.lr, self.rho, self.momentum, self.eps, self.centered = lr, rho, momentum, epsilon, centered
        self.v, self.a, self.m = {}, {}, {}

    def step(self, index, w, g):
        v = self.rho * self.v.get(index, 0.0) + (1 - self.rho) * g**2
        self.v[index] = v
        if self.centered:
            a = self.rho * self.a.get(index, 0.0) + (1 - self.rho) * g
            self.a[index] = a
            denominator = v - a**2 + self.eps
        else:
            denominator = v + self.eps
        increment = self.lr * g / np.sqrt(denominator)
        if self.momentum > 0:
            self.m[index] = self.momentum * self.m.get(index, 0.0) + increment
            return w - self.m[index]
        return w - increment


def run_both(optimizer, reference, grads=None, lr_changes=None):
    """Apply STEPS updates with both; `lr_changes` maps a step index to a new learning rate set before it."""
    params = initial_params()
    expected = [p.copy() for p in params]
    grads = grads or gradient_sequence([p.shape for p in params])
    for step, step_grads in enumerate(grads):
        if lr_changes and step in lr_changes:
            optimizer.learning_rate = lr_changes[step]
            reference.lr = lr_changes[step]
            assert optimizer.learning_rate == lr_changes[step]
        optimizer.apply(zip(params, step_grads, strict=True))
        expected = [reference.step(i, w, g) for i, (w, g) in enumerate(zip(expected, step_grads, strict=True))]
        for actual, wanted in zip(params, expected, strict=True):
            np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-14)
    return params


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True), (0.5, True)])
@pytest.mark.parametrize("lr_changes", [None, {2: 0.2, 4: 0.0}], ids=["fixed_lr", "lr_changed"])
def test_sgd_matches_reference(momentum, nesterov, lr_changes):
    optimizer = optimizers.SGD(learning_rate=0.05, momentum=momentum, nesterov=nesterov)
    run_both(optimizer, ReferenceSGD(0.05, momentum, nesterov), lr_changes=lr_changes)
    assert optimizer.iterations == STEPS


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_rmsprop_matches_reference(centered, momentum):
    optimizer = optimizers.RMSprop(learning_rate=0.01, rho=0.8, momentum=momentum, centered=centered)
    run_both(optimizer, ReferenceRMSprop(0.01, 0.8, momentum, 1e-7, centered), lr_changes={3: 0.05})


@pytest.mark.parametrize(
    "name, cls, make_reference",
    [
        ("sgd", optimizers.SGD, lambda: ReferenceSGD(0.01)),  # Keras defaults: learning_rate=0.01
        ("rmsprop", optimizers.RMSprop, ReferenceRMSprop),  # learning_rate=0.001, rho=0.9, epsilon=1e-7
    ],
)
def test_by_name_with_keras_defaults(name, cls, make_reference):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls
    run_both(optimizer, make_reference())


def test_iterations_count_steps():
    optimizer = optimizers.SGD(learning_rate=0.1)
    w = np.ones(3)
    assert optimizer.iterations == 0
    for count in range(1, 4):
        optimizer.apply_gradients([(np.ones(3), w)])  # Keras's (grad, param) order
        assert optimizer.iterations == count
    np.testing.assert_allclose(w, 1 - 3 * 0.1)


def _clip_case(grads, **clip):
    params = [np.zeros_like(g) for g in grads]
    optimizers.SGD(learning_rate=1.0, **clip).apply(zip(params, [g.copy() for g in grads], strict=True))
    return [-p for p in params]  # with lr=1 and no momentum, the step is minus the applied gradient


GRADS = [np.array([3.0, 4.0]), np.array([0.3, -0.4, 0.0])]  # norms 5 and 0.5


def test_clipnorm_clips_each_gradient_by_its_own_norm():
    applied = _clip_case(GRADS, clipnorm=1.0)
    np.testing.assert_allclose(applied[0], GRADS[0] / 5.0)
    np.testing.assert_allclose(applied[1], GRADS[1])  # below the norm: untouched


def test_clipvalue_clips_elements():
    applied = _clip_case(GRADS, clipvalue=0.35)
    np.testing.assert_allclose(applied[0], [0.35, 0.35])
    np.testing.assert_allclose(applied[1], [0.3, -0.35, 0.0])


@pytest.mark.parametrize("limit", [1.0, 10.0])
def test_global_clipnorm_scales_all_gradients_together(limit):
    applied = _clip_case(GRADS, global_clipnorm=limit)
    global_norm = np.sqrt(sum(np.sum(g**2) for g in GRADS))
    scale = min(1.0, limit / global_norm)
    for got, g in zip(applied, GRADS, strict=True):
        np.testing.assert_allclose(got, g * scale)


def test_slots_are_kept_per_parameter():
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    first, second = np.zeros(2), np.zeros(2)
    g = np.array([1.0, -2.0])
    optimizer.apply([(first, g)])  # only `first` moves: its velocity is -0.1 g
    optimizer.apply([(first, g), (second, g)])  # `second` starts from zero velocity
    np.testing.assert_allclose(optimizer.slot(first, "momentum"), 0.9 * (-0.1 * g) - 0.1 * g)
    np.testing.assert_allclose(optimizer.slot(second, "momentum"), -0.1 * g)
    np.testing.assert_allclose(first, -0.1 * g + (0.9 * (-0.1 * g) - 0.1 * g))
    np.testing.assert_allclose(second, -0.1 * g)


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True, clipnorm=1.0),
        lambda: optimizers.RMSprop(
            learning_rate=0.01, rho=0.8, momentum=0.5, epsilon=1e-6, centered=True, global_clipnorm=2.0
        ),
    ],
    ids=["sgd", "rmsprop"],
)
def test_config_round_trip(make):
    optimizer = make()
    config = optimizer.get_config()
    for key in ("learning_rate", "momentum"):
        assert config[key] == getattr(optimizer, key)
    clone = type(optimizer).from_config(config)
    assert clone.get_config() == config
    by_dict = optimizers.get({"class_name": type(optimizer).__name__, "config": config})
    assert type(by_dict) is type(optimizer) and by_dict.get_config() == config

    grads = gradient_sequence([(3, 2), (2,)], seed=4)
    a, b = initial_params(), initial_params()
    for step_grads in grads:
        optimizer.apply(zip(a, step_grads, strict=True))
        clone.apply(zip(b, step_grads, strict=True))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.SGD(momentum=-0.1),
        lambda: optimizers.SGD(momentum=1.5),
        lambda: optimizers.SGD(momentum="0.9"),
        lambda: optimizers.RMSprop(momentum=-0.5),
    ],
)
def test_invalid_momentum_raises(make):
    with pytest.raises(ValueError, match="momentum"):
        make()


@pytest.mark.parametrize(
    "make",
    [  # factories: each test gets fresh optimizer and reference state
        lambda: (optimizers.SGD(learning_rate=0.05), ReferenceSGD(0.05)),
        lambda: (optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True), ReferenceSGD(0.05, 0.9, True)),
        lambda: (
            optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
            ReferenceRMSprop(0.01, 0.9, 0.5, 1e-7, True),
        ),
    ],
    ids=["sgd", "nesterov", "rmsprop"],
)
@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
def test_float32_params_stay_float32(make, grad_dtype):
    optimizer, reference = make()
    params = [p.astype(np.float32) for p in initial_params()]
    expected = [p.astype(np.float64) for p in params]
    for step_grads in gradient_sequence([p.shape for p in params]):
        optimizer.apply(zip(params, [g.astype(grad_dtype) for g in step_grads], strict=True))
        expected = [
            reference.step(i, w, g.astype(np.float32))
            for i, (w, g) in enumerate(zip(expected, step_grads, strict=True))
        ]
    for actual, wanted in zip(params, expected, strict=True):
        assert actual.dtype == np.float32
        np.testing.assert_allclose(actual, wanted, rtol=1e-4, atol=1e-5)
    assert all(v.dtype == np.float32 for v in optimizer.variables[2:])


def test_sgd_momentum_follows_keras_per_parameter_and_never_writes_into_the_gradients():
    """Two parameters of one shape keep separate velocities, each update follows Keras's formula step
    after step, and the gradients given to `apply` are left exactly as they were."""
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(4, 3)), rng.normal(size=(4, 3))]  # same shape: separate buffers
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    expected = [p.copy() for p in params]
    velocities = [np.zeros_like(p) for p in params]
    for _ in range(3):
        grads = [rng.normal(size=p.shape) for p in params]
        before = [g.copy() for g in grads]
        opt.apply(list(zip(params, grads)))
        for i, grad in enumerate(grads):
            velocities[i] = 0.9 * velocities[i] - 0.1 * before[i]
            expected[i] = expected[i] + velocities[i]
            np.testing.assert_array_equal(grad, before[i])
            np.testing.assert_allclose(params[i], expected[i], rtol=1e-12, atol=1e-12)
