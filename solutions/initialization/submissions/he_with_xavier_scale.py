# He initialization with Var = 1/n (the Xavier/LeCun scale) instead of 2/n
import numpy as np
from labkit.activations import activate, saturated, sigmoid


def initialize_zeros(layer_dims: list[int]) -> dict[str, np.ndarray]:
    """Every weight and bias zero.

    Arguments:
    layer_dims -- [n_x, n_1, ..., n_L], the width of every layer, input first

    Returns:
    params -- {"W1": (n_0, n_1) zeros, "b1": (1, n_1) zeros, ..., "WL", "bL"}, all float64
    """
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = np.zeros((layer_dims[l - 1], layer_dims[l]))
        params[f"b{l}"] = np.zeros((1, layer_dims[l]))
    return params


def initialize_random(
    layer_dims: list[int], scale: float = 10.0, rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """Weights drawn from scale * N(0, 1), biases zero.

    Arguments:
    layer_dims -- [n_x, n_1, ..., n_L]
    scale -- the standard deviation of every weight (10 makes the point of the lesson: far too large)
    rng -- a numpy.random.Generator to draw from; None means np.random.default_rng()

    Returns:
    params -- {"W1": (n_0, n_1), "b1": (1, n_1), ...}, all float64
    """
    rng = np.random.default_rng() if rng is None else rng
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = scale * rng.standard_normal((layer_dims[l - 1], layer_dims[l]))
        params[f"b{l}"] = np.zeros((1, layer_dims[l]))
    return params


def initialize_he(layer_dims: list[int], rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """He initialization: W{l} ~ N(0, 2 / n_{l-1}) where n_{l-1} is the fan-in of W{l}; biases zero.

    Arguments:
    layer_dims -- [n_x, n_1, ..., n_L]
    rng -- a numpy.random.Generator to draw from; None means np.random.default_rng()

    Returns:
    params -- {"W1": (n_0, n_1), "b1": (1, n_1), ...}, all float64
    """
    rng = np.random.default_rng() if rng is None else rng
    params = {}
    for l in range(1, len(layer_dims)):
        fan_in = layer_dims[l - 1]
        params[f"W{l}"] = rng.standard_normal((fan_in, layer_dims[l])) * np.sqrt(1.0 / fan_in)
        params[f"b{l}"] = np.zeros((1, layer_dims[l]))
    return params


def forward(
    X: np.ndarray, params: dict[str, np.ndarray], activation: str = "relu"
) -> tuple[np.ndarray, list]:
    """Forward propagation: hidden layers use `activation`, the output layer uses sigmoid.

    Arguments:
    X -- inputs, (m, n_x)
    params -- {"W1", "b1", ..., "WL", "bL"} as made by the initializers
    activation -- "relu", "tanh" or "sigmoid", for every hidden layer

    Returns:
    AL -- the output probabilities, (m, 1)
    caches -- whatever `backward` needs, one entry per layer (you choose the layout)
    """
    L = len(params) // 2
    A = X
    caches = []
    for l in range(1, L + 1):
        layer_activation = activation if l < L else "sigmoid"
        A_prev = A
        Z = A_prev @ params[f"W{l}"] + params[f"b{l}"]
        A = activate(Z, layer_activation)
        caches.append((A_prev, params[f"W{l}"], Z, A, layer_activation))
    return A, caches


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """Mean binary cross-entropy -mean(Y log AL + (1 - Y) log(1 - AL)), as a Python float.

    Saturated outputs (AL exactly 0 or 1, as large weights produce) must not give inf or nan:
    clip AL to [1e-15, 1 - 1e-15] first, so a confidently wrong example costs about 34.5.

    Arguments:
    AL -- output probabilities, (m, 1)
    Y -- labels in {0, 1}, (m, 1)
    """
    P = np.clip(AL, 1e-15, 1.0 - 1e-15)
    return float(-np.mean(Y * np.log(P) + (1.0 - Y) * np.log(1.0 - P)))


def backward(AL: np.ndarray, Y: np.ndarray, caches: list) -> dict[str, np.ndarray]:
    """Backward propagation: the gradient of compute_cost(AL, Y) with respect to every parameter.

    Arguments:
    AL -- output probabilities from `forward`, (m, 1)
    Y -- labels in {0, 1}, (m, 1)
    caches -- the caches returned by `forward`

    Returns:
    grads -- {"dW1": same shape as W1, "db1": same shape as b1, ..., "dWL", "dbL"}
    """
    m = Y.shape[0]
    grads = {}
    L = len(caches)
    # Sigmoid output with cross-entropy: dCost/dZL = (AL - Y) / m, stable even when AL saturates.
    dZ = (AL - Y) / m
    for l in range(L, 0, -1):
        A_prev, W = caches[l - 1][:2]
        grads[f"dW{l}"] = A_prev.T @ dZ
        grads[f"db{l}"] = dZ.sum(axis=0, keepdims=True)
        if l > 1:
            dA_prev = dZ @ W.T
            A_prev_activation = caches[l - 2][4]
            Z_prev = caches[l - 2][2]
            dZ = dA_prev * activation_derivative(Z_prev, A_prev, A_prev_activation)
    return grads


def activation_derivative(Z: np.ndarray, A: np.ndarray, activation: str) -> np.ndarray:
    """g'(Z) for the activation g that produced A = g(Z); same shape as Z.

    A helper for `backward` (not graded on its own): relu' is 1 where Z > 0 and 0 elsewhere,
    tanh' = 1 - A**2, sigmoid' = A * (1 - A).
    """
    if activation == "relu":
        return (Z > 0).astype(np.float64)
    if activation == "tanh":
        return 1.0 - A**2
    if activation == "sigmoid":
        return A * (1.0 - A)
    raise ValueError(f"unknown activation {activation!r}")


def update_parameters(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """One step of gradient descent: W{l} - learning_rate * dW{l}, b{l} - learning_rate * db{l}.

    Returns a new dict of new arrays; `params` and `grads` are left unchanged.
    """
    return {key: value - learning_rate * grads[f"d{key}"] for key, value in params.items()}


def gradient_check(
    params: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    activation: str = "relu",
    epsilon: float = 1e-7,
) -> float:
    """Compare `backward` with centred differences of compute_cost(forward(...)).

    For every parameter entry theta_i: g_num_i = (J(theta_i + epsilon) - J(theta_i - epsilon)) / (2 epsilon).
    Stack all gradients (in the same order) into vectors g (from backward) and g_num.

    Returns:
    difference -- ||g - g_num|| / (||g|| + ||g_num||), a Python float (about 1e-8 or less when backward is right)
    """
    def cost_at(p: dict[str, np.ndarray]) -> float:
        return compute_cost(forward(X, p, activation)[0], Y)

    AL, caches = forward(X, params, activation)
    grads = backward(AL, Y, caches)
    analytic, numeric = [], []
    for key, value in params.items():
        for index in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[key][index] = value[index] + epsilon
            plus = cost_at(shifted)
            shifted[key][index] = value[index] - epsilon
            minus = cost_at(shifted)
            numeric.append((plus - minus) / (2.0 * epsilon))
            analytic.append(grads[f"d{key}"][index])
    g, g_num = np.array(analytic), np.array(numeric)
    denominator = np.linalg.norm(g) + np.linalg.norm(g_num)
    return float(np.linalg.norm(g - g_num) / denominator) if denominator > 0 else 0.0


def train(
    X: np.ndarray,
    Y: np.ndarray,
    layer_dims: list[int],
    init: str = "he",
    activation: str = "relu",
    learning_rate: float = 0.01,
    num_iterations: int = 15000,
    rng: np.random.Generator | None = None,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Gradient descent from an initialization of your choice.

    Arguments:
    X, Y -- training data, (m, n_x) and (m, 1)
    layer_dims -- [n_x, n_1, ..., 1]
    init -- "zeros", "random" (scale 10) or "he"
    activation -- the hidden-layer activation
    learning_rate, num_iterations -- gradient-descent settings
    rng -- passed to the initializer

    Returns:
    params -- the trained parameters
    costs -- a list of num_iterations floats: costs[i] is the cost before the i-th update
    """
    initializers = {
        "zeros": lambda: initialize_zeros(layer_dims),
        "random": lambda: initialize_random(layer_dims, rng=rng),
        "he": lambda: initialize_he(layer_dims, rng=rng),
    }
    params = initializers[init]()
    costs = []
    for _ in range(num_iterations):
        AL, caches = forward(X, params, activation)
        costs.append(compute_cost(AL, Y))
        params = update_parameters(params, backward(AL, Y, caches), learning_rate)
    return params, costs


def activation_statistics(
    X: np.ndarray, params: dict[str, np.ndarray], activation: str = "relu"
) -> list[dict[str, float]]:
    """How the signal looks at every hidden layer when X goes through the network.

    Returns one dict per hidden layer (layers 1 .. L-1, in order), each with Python floats:
    "mean" and "std" -- of all entries of that layer's activations A{l}, (m, n_l) (population std, ddof=0)
    "saturated_fraction" -- the fraction of entries where the activation's derivative is (nearly) zero:
        tanh |a| > 0.99, sigmoid a < 0.01 or a > 0.99, ReLU a <= 0
    """
    L = len(params) // 2
    A = X
    stats = []
    for l in range(1, L):
        A = activate(A @ params[f"W{l}"] + params[f"b{l}"], activation)
        stats.append(
            {
                "mean": float(A.mean()),
                "std": float(A.std()),
                "saturated_fraction": float(saturated(A, activation).mean()),
            }
        )
    return stats


def worked_example(W2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The course text's worked example, done right: one hidden layer, identity activation, no biases.

    X = [[1, 2], [0, 3], [4, 1]] (m = 3, n_x = 2), W1 = [[1, 1, 1], [2, 2, 2]] (identical columns),
    the given W2 (3, 1), and the upstream gradient dZ2 = [[1], [2], [3]] taken as given (no 1/m).
    Compute dW2 = A1^T dZ2, dA1 = dZ2 W2^T, dZ1 = dA1 * g'(Z1) (g' = 1 for the identity), dW1 = X^T dZ1.

    Returns:
    dW1 -- (2, 3)
    dW2 -- (3, 1)
    """
    X = np.array([[1.0, 2.0], [0.0, 3.0], [4.0, 1.0]])
    W1 = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    dZ2 = np.array([[1.0], [2.0], [3.0]])
    A1 = X @ W1
    dW2 = A1.T @ dZ2
    dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T
    dW1 = X.T @ dZ1
    return dW1, dW2


# Conceptual questions. Each returns one lowercase letter: the option you choose.


def q_symmetry() -> str:
    """Every weight of a network with two tanh hidden layers starts at the same constant 0.5 (biases 0),
    and it is trained with gradient descent. What happens to the hidden units of each layer?

    a) The first hidden layer learns normally, because its inputs are the features themselves, which differ
       from each other; only the deeper layers stay identical.
    b) No weight ever changes, because every gradient of a constant-initialized network is zero, as
       it is for an all-zero network.
    c) The activation is applied elementwise and is nonlinear, so the units drift apart after a few
       steps, once the nonlinearity has amplified the rounding differences between them.
    d) Within each layer, all units keep identical incoming and outgoing weights at every step: each layer
       works like a single unit, however wide it is.

    Returns: "a", "b", "c" or "d"
    """
    return "d"


def q_zero_relu() -> str:
    """A [2, 10, 5, 1] network with ReLU hidden layers and a sigmoid output starts with every weight and
    bias at zero. The training labels are 70% ones. What does gradient descent change?

    a) Nothing: every gradient is exactly zero, including the output bias's, so the cost stays at ln 2
       forever and the network predicts 0.5 for every input.
    b) All weights move by the same amount, so the units stay identical, but the network still learns a
       linear decision boundary, like logistic regression on the inputs.
    c) Only the output bias: the hidden activations are relu(0) = 0, so dW3 = A2^T dZ3 = 0, and the signal
       sent back, dZ3 W3^T, is zero too. The network ends up predicting the base rate 0.7 for every input.
    d) First the output bias moves; once it is non-zero, the hidden weights start to receive gradients
       too, and after a slow start the network trains normally.

    Returns: "a", "b", "c" or "d"
    """
    return "c"


def q_zero_hidden_activation() -> str:
    """Same all-zero start, but now compare hidden activations. With which hidden activation do any of the
    *weights* (not only the output bias) ever receive a non-zero gradient?

    a) sigmoid, because sigmoid(0) = 0.5 is not zero, so the last layer's weights see a non-zero input;
       one more layer wakes up per step, but the units of every layer still stay identical to each other.
    b) ReLU, because relu'(z) = 1 for positive z, so the gradient passes through every hidden layer
       unchanged.
    c) tanh, because tanh'(0) = 1 is the largest derivative any of the three has, so the zero start sits
       exactly where tanh learns fastest.
    d) None of them: with all weights zero, every weight gradient is zero for any activation, since each
       gradient is a product that contains a zero weight.

    Returns: "a", "b", "c" or "d"
    """
    return "a"


def q_tiny_differences() -> str:
    """Weights drawn from N(0, 0.01^2) differ from each other only slightly. Why is that enough to break
    the symmetry?

    a) It is not enough on its own: gradient descent pulls similar units back together, so a penalty term
       that pushes the weight vectors of different units apart has to be added to the cost.
    b) Symmetry is something gradient descent preserves but never creates: two units that differ at all
       compute different outputs, receive different gradients, and can grow apart into different features.
       Even differences near float64 resolution (about 1e-16 relative) count; no extra penalty is needed.
    c) Small weights keep every unit in the linear part of its activation, where the network behaves
       like a linear model and symmetric solutions cannot exist.
    d) Gradient descent draws fresh random numbers for the weights at every step, so whatever symmetry
       the start had is lost after the first update.

    Returns: "a", "b", "c" or "d"
    """
    return "b"


def q_saturation() -> str:
    """Large initial weights make a tanh or sigmoid network learn slowly. Which statement locates the problem?

    a) The pre-activation z should be close to 1, as the forward-pass argument for scaling the weights
       says; large weights push z far above 1, and every z far from 1 slows learning.
    b) The outputs a = tanh(z) near +-1 make the cross-entropy cost undefined, so gradient descent gets
       nan gradients and stops improving.
    c) ReLU has the same problem for large positive z, so ReLU networks need small weights for the same
       reason tanh networks do.
    d) Backpropagation multiplies by the derivative g'(z) at every layer; for tanh and sigmoid that
       derivative is nearly zero when |z| is large (the flat tails), so large |z| stalls learning. What matters
       is g'(z), not how close z is to any particular value.

    Returns: "a", "b", "c" or "d"
    """
    return "d"


def q_variance_of_z() -> str:
    """The n = 400 inputs of a unit are normalized (mean 0, variance 1, independent) and its weights are drawn
    independently from N(0, 1/n). What does z = sum_i w_i x_i look like across examples?

    a) z is close to 1.0 for every example, because the weights were scaled so that the sum of the n
       terms comes out at 1.
    b) z has variance 1/n = 0.0025, the variance of a single weight, so it is almost always close to zero.
    c) z has mean 0 and variance n * (1/n) * 1 = 1: a typical |z| is about 1, so about 68% of the
       examples have |z| < 1, and tanh or sigmoid still has a useful slope there.
    d) z has variance n = 400, because n terms of variance 1 are added, so tanh is saturated for most
       examples.

    Returns: "a", "b", "c" or "d"
    """
    return "c"


def q_he_two_over_n() -> str:
    """Why does He initialization use Var(W) = 2/n for ReLU layers, where 1/n (LeCun, Xavier-like) keeps
    the signal steady for tanh?

    a) ReLU sets the negative half of z to zero, so E[a^2] = Var(z) / 2; then Var(z_next) = n Var(W) E[a^2]
       equals Var(z) only if n Var(W) = 2. With 1/n the signal halves in every layer.
    b) A ReLU layer has twice as many parameters as a tanh layer of the same width.
    c) Larger initial weights always learn faster; 2/n is simply a safe larger value, and 3/n or 4/n work
       just as well in a deep network.
    d) relu'(z) = 2 for positive z, which the variance has to compensate.

    Returns: "a", "b", "c" or "d"
    """
    return "a"


def q_explosion() -> str:
    """A 10-layer tanh network of width 256 starts with weights of std 1 (far above 1/sqrt(256)), so about
    87% of its units are saturated. How do the weight gradients change from the last hidden layer to the first?

    a) They vanish toward the input: saturated units have tanh' close to 0, and with 87% of the units
       saturated, every layer multiplies the gradient by a small number.
    b) They are all the same size, because tanh is an odd function and the positive and negative
       saturated units cancel each other's effect on the gradient.
    c) They explode toward the input (||dW1|| / ||dW10|| is about 1e4): the unsaturated units still pass the
       gradient back with slope near 1, multiplied by weights far too large, so every layer amplifies it.
       Large initial weights do not simply mean vanishing gradients.
    d) They are all exactly zero, because tanh' is exactly 0 at saturation and the gradient cannot pass
       a saturated layer.

    Returns: "a", "b", "c" or "d"
    """
    return "c"
