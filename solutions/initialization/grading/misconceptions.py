"""The misconception catalogue of the initialization assignment: each a mutant of its reference (the machinery,
and what each field means, is autograder/checks/misconceptions.py). A mistake costs points only in its own
function's checks (a helper's, in the checks of the graded function that calls it) and in the integration check
`train.he_learns`; tests/test_misconceptions.py holds the catalogue to that.
"""

from autograder.checks.misconceptions import Misconception
from autograder.checks.misconceptions import single_edit as _m

HE_DRAW = "rng.standard_normal((fan_in, layer_dims[l]))"
HE_SCALE = "np.sqrt(2.0 / fan_in)"
HE_BIAS = 'params[f"b{l}"] = np.zeros((1, layer_dims[l]))'
RANDOM_DRAW = "scale * rng.standard_normal((layer_dims[l - 1], layer_dims[l]))"
FORWARD_Z = "Z = A_prev @ W + b"
COST_TERMS = "Y * np.log(P) + (1.0 - Y) * np.log(1.0 - P)"
DZ_OUTPUT = "dZ = (AL - Y) / m"
DB = 'grads[f"db{l}"] = dZ.sum(axis=0, keepdims=True)'
DZ_HIDDEN = "dZ = dA_prev * activation_derivative(Z_prev, A_prev, prev_activation)"
UPDATE = 'return {key: value - learning_rate * grads[f"d{key}"] for key, value in params.items()}'
STATS_SATURATED = '"saturated_fraction": float(saturated(A, activation).mean())'
WORKED_DZ1 = "dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T"

CATALOGUE: list[Misconception] = [
    # --- initializers
    _m("he_xavier_scale", "initialize_he", HE_SCALE, "np.sqrt(1.0 / fan_in)",
       "the weights have std sqrt(1/fan_in), the Xavier/LeCun scale for tanh; ReLU zeroes half of every layer, "
       "so the signal halves per layer", "He uses Var(W) = 2/fan_in: multiply by np.sqrt(2 / fan_in)",
       "initialize_he.distribution"),
    _m("he_fan_out", "initialize_he", HE_SCALE, "np.sqrt(2.0 / layer_dims[l])",
       "the std uses fan_out (the layer's own width) instead of fan_in",
       "fan_in of W{l} is W{l}.shape[0] = layer_dims[l - 1]",
       "initialize_he.distribution", may_fail=("train.he_learns",)),
    _m("he_no_sqrt", "initialize_he", HE_SCALE, "(2.0 / fan_in)",
       "the weights are multiplied by the variance 2/fan_in instead of the std",
       "take the square root: np.sqrt(2 / fan_in)", "initialize_he.distribution"),
    _m("he_uniform_01", "initialize_he", HE_DRAW, "rng.random((fan_in, layer_dims[l]))",
       "the draws are uniform on [0, 1) (what rng.random gives), so every weight is positive and the mean is far "
       "from 0",
       "draw from the standard normal: rng.standard_normal(shape)", "initialize_he.distribution"),
    _m("he_uniform_same_variance", "initialize_he", HE_DRAW,
       "rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), (fan_in, layer_dims[l]))",
       "the draws are uniform (with the right variance), not normal: the scale is right but the shape is not",
       "He initialization as specified is normal: rng.standard_normal(shape) * np.sqrt(2 / fan_in)",
       "initialize_he.distribution"),
    _m("he_transposed", "initialize_he", HE_DRAW, "rng.standard_normal((layer_dims[l], fan_in))",
       "W{l} is transposed: (n_l, n_{l-1}) instead of (n_{l-1}, n_l)",
       "examples are rows, Z = A_prev @ W + b, so W{l} has shape (layer_dims[l - 1], layer_dims[l])",
       "initialize_he.hidden_shapes", "initialize_he.distribution", "initialize_he.independent_layers",
       "initialize_he.rng_honoured", "train.he_learns"),
    _m("he_random_bias", "initialize_he", HE_BIAS, 'params[f"b{l}"] = 0.01 * rng.standard_normal((1, layer_dims[l]))',
       "the biases are random; they should start at exactly zero (the random weights already break symmetry)",
       "use np.zeros((1, layer_dims[l])) for every b{l}", "initialize_he.hidden_shapes"),
    _m("he_global_random", "initialize_he", HE_DRAW, "np.random.standard_normal((fan_in, layer_dims[l]))",
       "the weights come from the global np.random, not from the `rng` argument, so seeding rng changes nothing",
       "draw from the generator you are given: rng.standard_normal(shape)", "initialize_he.rng_honoured"),
    _m("he_reseeded_per_layer", "initialize_he", HE_DRAW,
       "np.random.default_rng(0).standard_normal((fan_in, layer_dims[l]))",
       "a fresh generator with a fixed seed is made in every layer: every layer repeats the same numbers and "
       "the rng argument is ignored", "make no generator of your own: draw every layer from the one `rng`",
       "initialize_he.independent_layers", "initialize_he.rng_honoured"),
    Misconception(
        "he_one_matrix_for_all_layers", "initialize_he",
        (("    params = {}\n    for l", "    params = {}\n    base = rng.standard_normal((max(layer_dims), "
          "max(layer_dims)))\n    for l"), (HE_DRAW, "base[:fan_in, :layer_dims[l]]")),
        "one random matrix is drawn once and every layer takes a slice of it, so the layers are not independent",
        "draw a new matrix for every layer inside the loop", ("initialize_he.independent_layers",)),
    _m("zeros_1d_bias", "initialize_zeros", 'np.zeros((1, layer_dims[l]))', "np.zeros(layer_dims[l])",
       "the biases are 1-D arrays of shape (n_l,) instead of row vectors (1, n_l)",
       "use np.zeros((1, layer_dims[l]))", "initialize_zeros.hidden_shapes"),
    _m("zeros_float32", "initialize_zeros", 'np.zeros((layer_dims[l - 1], layer_dims[l]))',
       'np.zeros((layer_dims[l - 1], layer_dims[l]), dtype=np.float32)',
       "the weights are float32; the assignment (and gradient checking) needs float64",
       "leave np.zeros's default dtype (float64)", "initialize_zeros.hidden_shapes"),
    _m("random_ignores_scale", "initialize_random", RANDOM_DRAW,
       "10.0 * rng.standard_normal((layer_dims[l - 1], layer_dims[l]))",
       "the `scale` argument is ignored: the std is always 10", "multiply the draws by scale",
       "initialize_random.distribution"),
    _m("random_scale_as_variance", "initialize_random", RANDOM_DRAW,
       "np.sqrt(scale) * rng.standard_normal((layer_dims[l - 1], layer_dims[l]))",
       "scale is used as the variance (the draws are multiplied by sqrt(scale)); it is the std",
       "multiply the standard-normal draws by scale itself", "initialize_random.distribution"),
    _m("random_global_random", "initialize_random", "rng.standard_normal(", "np.random.standard_normal(",
       "the weights come from the global np.random, not from the `rng` argument",
       "draw from the generator you are given: rng.standard_normal(shape)", "initialize_random.rng_honoured"),
    _m("random_bias_1d", "initialize_random", 'params[f"b{l}"] = np.zeros((1, layer_dims[l]))',
       'params[f"b{l}"] = np.zeros(layer_dims[l])',
       "b{l} is a 1-D vector of shape (n_l,) instead of a row of shape (1, n_l)",
       "use np.zeros((1, layer_dims[l]))", "initialize_random.hidden_shapes", "initialize_random.distribution",
       "initialize_random.independent_layers", "initialize_random.rng_honoured"),
    Misconception(
        "random_one_matrix_for_all_layers", "initialize_random",
        (("    params = {}\n    for l", "    params = {}\n    base = rng.standard_normal((max(layer_dims), "
          "max(layer_dims)))\n    for l"), (RANDOM_DRAW, "scale * base[:layer_dims[l - 1], :layer_dims[l]]")),
        "one random matrix is drawn once and every layer takes a slice of it, so the layers are not independent",
        "draw a new matrix for every layer inside the loop", ("initialize_random.independent_layers",)),
    # --- forward and cost
    _m("forward_output_uses_hidden_activation", "forward",
       'layer_activation = activation if l < L else "sigmoid"', "layer_activation = activation",
       "the output layer uses the hidden activation; it must always be sigmoid (AL is a probability)",
       "use `activation` for layers 1..L-1 and sigmoid for layer L",
       "forward.matches_reference", "forward.large_inputs", "train.he_learns"),
    _m("forward_no_bias", "forward", FORWARD_Z, "Z = A_prev @ W",
       "the bias b{l} is not added", "Z{l} = A{l-1} @ W{l} + b{l}",
       "forward.matches_reference", "train.he_learns", may_fail=("forward.large_inputs",)),
    _m("forward_sigmoid_overflow", "forward", "A = activate(Z, layer_activation)",
       'A = np.exp(Z) / (1.0 + np.exp(Z)) if layer_activation == "sigmoid" else activate(Z, layer_activation)',
       "the sigmoid is computed as exp(z) / (1 + exp(z)), which overflows to inf / inf = nan for large z",
       "use the provided sigmoid (or exp of -|z| only)", "forward.large_inputs"),
    _m("cost_sum", "compute_cost", "-np.mean(", "-np.sum(",
       "the cost is the sum over examples, not the mean", "divide by m: use np.mean",
       "compute_cost.matches_reference", "compute_cost.stable"),
    _m("cost_sign", "compute_cost", "float(-np.mean(", "float(np.mean(",
       "the minus sign is missing: the cross-entropy is -mean(Y log AL + (1 - Y) log(1 - AL)), which is positive",
       "put the minus sign in front of the mean", "compute_cost.matches_reference", "compute_cost.stable"),
    _m("cost_positive_term_only", "compute_cost", COST_TERMS, "Y * np.log(P)",
       "only the Y log AL term is there; the (1 - Y) log(1 - AL) term for the 0 labels is missing",
       "add (1 - Y) * log(1 - AL)", "compute_cost.matches_reference", "compute_cost.stable"),
    _m("cost_not_clipped", "compute_cost", "P = np.clip(AL, 1e-15, 1.0 - 1e-15)", "P = AL",
       "AL is not clipped, so a saturated output (exactly 0 or 1) gives log(0) = -inf and the cost is inf or nan",
       "clip first: P = np.clip(AL, 1e-15, 1 - 1e-15)", "compute_cost.stable"),
    # --- backward
    _m("backward_missing_1_over_m", "backward", DZ_OUTPUT, "dZ = AL - Y",
       "the gradients are m times too large: the 1/m of the mean in the cost is missing",
       "dZ{L} = (AL - Y) / m", "backward.matches_reference", "backward.saturated",
       "backward.zero_relu_no_hidden_gradient", "train.he_learns"),
    _m("backward_no_activation_derivative", "backward", DZ_HIDDEN, "dZ = dA_prev",
       "the activation's derivative g'(Z) is missing: dZ = dA * g'(Z) for every hidden layer",
       "multiply dA by the derivative of that layer's activation", "backward.matches_reference",
       "backward.deep_gradients", "backward.saturated", may_fail=("train.he_learns",)),
    _m("backward_via_dAL", "backward", DZ_OUTPUT,
       "dZ = -(Y / AL - (1.0 - Y) / (1.0 - AL)) * AL * (1.0 - AL) / m",
       "dZ{L} is computed through dAL = -(Y/AL - (1-Y)/(1-AL)), which divides by zero when the output saturates",
       "for a sigmoid output with cross-entropy use dZ{L} = (AL - Y) / m directly", "backward.saturated"),
    _m("backward_bias_summed", "backward", DB, 'grads[f"db{l}"] = m * dZ.sum(axis=0, keepdims=True)',
       "db is summed over the examples without the 1/m (m times too large), while dW has it",
       "db{l} = dZ{l}.sum(axis=0, keepdims=True) where dZ already carries the 1/m",
       "backward.matches_reference", "backward.saturated", "backward.zero_relu_no_hidden_gradient", "train.he_learns"),
    _m("backward_bias_1d", "backward", DB, 'grads[f"db{l}"] = dZ.sum(axis=0)',
       "db has shape (n_l,): keepdims is missing, so it no longer has the shape of b (1, n_l)",
       "dZ.sum(axis=0, keepdims=True)", "backward.matches_reference", "backward.constant_init_symmetric",
       "backward.saturated", "backward.zero_relu_no_hidden_gradient"),
    _m("backward_bias_not_summed", "backward", DB, 'grads[f"db{l}"] = dZ',
       "db is dZ itself, one row per example: it must be summed over the examples (the batch)",
       "db{l} = dZ{l}.sum(axis=0, keepdims=True), the shape of b{l}", "backward.matches_reference",
       "backward.saturated", "backward.constant_init_symmetric", "backward.zero_relu_no_hidden_gradient",
       may_fail=("train.he_learns",)),
    _m("relu_derivative_is_one", "activation_derivative", "return (Z > 0).astype(np.float64)",
       "return np.ones_like(Z)",
       "relu' is taken as 1 everywhere; it is 0 where Z <= 0 (a unit that is off passes no gradient)",
       "return (Z > 0).astype(float)", "backward.matches_reference", "backward.saturated",
       may_fail=("train.he_learns",)),
    _m("relu_derivative_at_zero", "activation_derivative", "(Z > 0)", "(Z >= 0)",
       "relu'(0) is taken as 1; a unit with Z exactly 0 is off and passes no gradient (relu'(0) = 0 here)",
       "use (Z > 0)", "backward.matches_reference"),
    _m("relu_derivative_is_relu", "activation_derivative", "return (Z > 0).astype(np.float64)",
       "return np.maximum(Z, 0.0)",
       "relu' is written as relu(Z) itself; the derivative is 1 where Z > 0 and 0 elsewhere",
       "return (Z > 0).astype(float)", "backward.matches_reference", "backward.saturated"),
    _m("tanh_derivative_of_z", "activation_derivative", "return 1.0 - A**2", "return 1.0 - Z**2",
       "tanh' is written as 1 - Z^2 with the pre-activation; it is 1 - tanh(Z)^2 = 1 - A^2",
       "use the activation A: 1 - A**2", "backward.matches_reference", may_fail=("backward.saturated",)),
    _m("sigmoid_derivative_of_z", "activation_derivative", "return A * (1.0 - A)", "return Z * (1.0 - Z)",
       "sigmoid' is written with the pre-activation Z; it is sigmoid(Z)(1 - sigmoid(Z)) = A(1 - A)",
       "use the activation A: A * (1 - A)", "backward.matches_reference",
       "backward.saturated", may_fail=("backward.deep_gradients",)),
    # --- update
    _m("update_sign", "update_parameters", "value - learning_rate", "value + learning_rate",
       "the step goes up the gradient (+): gradient descent subtracts learning_rate * gradient",
       "W = W - learning_rate * dW", "update_parameters.matches_reference", "train.he_learns"),
    Misconception(
        "update_in_place", "update_parameters",
        ((UPDATE, 'for key in params:\n        params[key] -= learning_rate * grads[f"d{key}"]\n    return params'),),
        "the parameters are updated in place, so the caller's dict and arrays change too",
        "build a new dict: {key: value - learning_rate * grads['d' + key] for key, value in params.items()}",
        ("update_parameters.inputs_unchanged",)),
    Misconception(
        "update_returns_its_input", "update_parameters",
        ((UPDATE, 'new = {key: value - learning_rate * grads[f"d{key}"] for key, value in params.items()}\n'
                  "    return params"),),
        "the new parameters are computed but the old dict is returned, so no step is ever taken",
        "return the dict of updated parameters", ("update_parameters.matches_reference", "train.he_learns")),
    _m("update_ignores_learning_rate", "update_parameters", "value - learning_rate * grads", "value - grads",
       "the learning rate is not used (a step of size 1)", "multiply the gradient by learning_rate",
       "update_parameters.matches_reference"),
    # --- gradient check
    _m("gradient_check_one_epsilon", "gradient_check", "(plus - minus) / (2.0 * epsilon)",
       "(plus - minus) / epsilon",
       "the centred difference is divided by epsilon instead of 2 epsilon, so g_num is twice the gradient",
       "(J(theta + eps) - J(theta - eps)) / (2 eps)", "gradient_check.correct_value", "gradient_check.broken_value"),
    _m("gradient_check_not_normalised", "gradient_check",
       "float(np.linalg.norm(g - g_num) / denominator)", "float(np.linalg.norm(g - g_num))",
       "the difference is not normalised: it must be divided by ||g|| + ||g_num||",
       "return ||g - g_num|| / (||g|| + ||g_num||)", "gradient_check.broken_value"),
    Misconception(
        "gradient_check_leaves_params_shifted", "gradient_check",
        (("shifted = {k: v.copy() for k, v in params.items()}", "shifted = params"),
         ("shifted[key][index] = value[index] - epsilon", "shifted[key][index] -= 2.0 * epsilon")),
        "the parameters are perturbed in place and never put back, so every entry is left shifted by -epsilon "
        "(and later entries are differentiated at the wrong point)",
        "perturb a copy: shifted = {k: v.copy() for k, v in params.items()}, or restore each entry after use",
        ("gradient_check.broken_value",)),
    # --- training and statistics
    Misconception(
        "train_cost_after_update", "train",
        (("costs.append(compute_cost(AL, Y))\n        params = update_parameters(params, backward(AL, Y, caches), "
          "learning_rate)", "params = update_parameters(params, backward(AL, Y, caches), learning_rate)\n"
          "        costs.append(compute_cost(forward(X, params, activation)[0], Y))"),),
        "each cost is recorded after the update, so costs[0] is not the cost of the initial parameters",
        "record compute_cost(AL, Y) before calling update_parameters", ("train.orchestration",)),
    Misconception(
        "train_ignores_rng", "train",
        (("initialize_random(layer_dims, rng=rng)", "initialize_random(layer_dims)"),
         ("initialize_he(layer_dims, rng=rng)", "initialize_he(layer_dims)")),
        "the rng given to train is not passed on to the initializer, so a seeded run is not reproducible",
        "call initialize_he(layer_dims, rng=rng) (and initialize_random likewise)", ("train.orchestration",)),
    _m("train_ignores_init", "train", "params = initializers[init]()", 'params = initializers["he"]()',
       "train always starts from He initialization, whatever `init` says",
       "call the initializer named by `init`", "train.orchestration"),
    _m("statistics_sample_std", "activation_statistics", '"std": float(A.std())', '"std": float(A.std(ddof=1))',
       "the std is the sample std (ddof=1); the assignment asks for the population std of all entries",
       "use A.std() (ddof=0)", "activation_statistics.matches_reference"),
    _m("statistics_include_output", "activation_statistics", "for l in range(1, L):", "for l in range(1, L + 1):",
       "the output layer is counted as a hidden layer", "report layers 1 .. L-1 only",
       "activation_statistics.matches_reference", "activation_statistics.signal_depth"),
    _m("statistics_saturated_exact_zero", "activation_statistics", STATS_SATURATED,
       '"saturated_fraction": float((A == 0).mean())',
       "only activations exactly 0 count as saturated; tanh saturates at |a| > 0.99, sigmoid below 0.01 or "
       "above 0.99", "use the provided saturated(A, activation)", "activation_statistics.matches_reference",
       "activation_statistics.saturation_closed_form"),
    # --- the worked example (the conceptual questions explain each wrong option themselves: questions.py)
    _m("worked_example_ignores_W2", "worked_example", WORKED_DZ1, "dZ1 = dZ2 @ np.ones((1, 3))",
       "the outgoing weights are left out of dA1 = dZ2 W2^T; they are what makes the columns of dW1 differ",
       "dA1 = dZ2 @ W2.T, then dW1 = X.T @ dZ1", "worked_example.dW1"),
    _m("worked_example_transposed", "worked_example", "dW1 = X.T @ dZ1", "dW1 = dZ1.T @ X",
       "dW1 is transposed: it must have the shape of W1, (2, 3)", "dW1 = X.T @ dZ1", "worked_example.dW1"),
]
