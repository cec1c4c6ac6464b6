"""The hints of the initialization assignment's public checks, and the symptoms its public feedback names
(the machinery is labkit/hints.py)."""

from .hints import Levels, Symptom

SHAPES: Levels = (
    "Every layer l = 1, ..., L (L = len(layer_dims) - 1) needs a weight matrix and a bias row. Count the arrays "
    "your function returns and compare each shape with the one the message expects.",
    "W{l} has shape (layer_dims[l-1], layer_dims[l]), that is (n_{l-1}, n_l), and b{l} has shape (1, n_l); both "
    "are float64 (what np.zeros and rng.standard_normal give).",
)
RNG: Levels = (
    "The same seed has to give the same weights, and another seed other weights: where do your random numbers "
    "come from?",
    "Draw every weight from the generator passed as `rng` (its standard_normal method), never from np.random; "
    "only when rng is None, make one fresh generator with np.random.default_rng() before drawing.",
)
GRADIENT_CHECK: Levels = (
    "For every single parameter entry, nudge it up by epsilon and down by epsilon, on copies of the parameters, "
    "and measure the cost both times; then compare all the numerical slopes with backward's gradients at once.",
    "g_num_i = (J(theta_i + epsilon) - J(theta_i - epsilon)) / (2 epsilon); with g and g_num stacked in the same "
    "order, the difference is ||g - g_num||_2 / (||g||_2 + ||g_num||_2).",
)

CHECK_HINTS: dict[str, Levels] = {
    "initialize_zeros.shapes": SHAPES,
    "initialize_zeros.zeros": ("Every entry, weights and biases alike, starts at exactly 0.", SHAPES[1]),
    "initialize_random.shapes": SHAPES,
    "initialize_random.scale": (
        "The spread of the weights is set by `scale`: what is the standard deviation of `scale` times a standard "
        "normal number?",
        "W{l} = scale times standard normal numbers, so std(W{l}) = scale (10 by default); every b{l} is 0."),
    "initialize_random.rng": RNG,
    "initialize_he.shapes": SHAPES,
    "initialize_he.scale": (
        "Compare the std of each W{l} in the message with its target. Which n goes into He's formula, and is the "
        "formula a variance or a standard deviation?",
        "He: Var(W{l}) = 2 / n_{l-1}, so the weights are standard normal numbers times sqrt(2 / n_{l-1}), with "
        "n_{l-1} = layer_dims[l-1], the fan-in (inputs per unit). Biases are 0."),
    "initialize_he.rng": RNG,
    "forward.tiny_example": (
        "Work the tiny example by hand for its first example: Z1 = X W1 + b1, A1 = g(Z1), then the output layer. "
        "Which activation does the output layer use?",
        "For l = 1, ..., L-1: Z{l} = A{l-1} W{l} + b{l} and A{l} = g(Z{l}) with the hidden activation, A0 = X; the "
        "last layer uses the sigmoid, whatever `activation` says. L = len(params) // 2."),
    "forward.caches": (
        "backward reads nothing but the caches: for each layer keep what it received and what it computed, in "
        "the order the notebook gives.",
        "caches[l-1] == (A_prev, W, b, Z, activation) for l = 1, ..., L: A_prev = A{l-1} (X for the first "
        "layer), the layer's W and b, its pre-activation Z, and its activation's name ('sigmoid' for the output)."),
    "compute_cost.known_answer": (
        "Check the sign of your cost, whether both terms are there, and whether you average or add over the "
        "examples.",
        "J = -(1/m) sum_i (y_i log a_i + (1 - y_i) log(1 - a_i)), returned as a Python float."),
    "compute_cost.saturated": (
        "What is log(0)? Outputs of exactly 0.0 or 1.0 happen when the weights are large.",
        "Clip a to [1e-15, 1 - 1e-15] before taking logs: a confidently wrong example then costs about 34.5."),
    "backward.tiny_example": (
        "Start at the output and go back one layer at a time; every gradient has the shape of its parameter. "
        "Where does the activation's derivative enter, and where the 1/m?",
        "dZ{L} = (AL - Y) / m; then for l = L, ..., 1: dW{l} = A{l-1}^T dZ{l}, db{l} = the sum of the rows of "
        "dZ{l} (shape (1, n_l)), dA{l-1} = dZ{l} W{l}^T, dZ{l-1} = dA{l-1} * g'(Z{l-1}) elementwise, with "
        "relu'(z) = 1 for z > 0 and 0 otherwise, tanh' = 1 - tanh^2, sigmoid' = sigmoid (1 - sigmoid)."),
    "update_parameters.known_answer": (
        "Gradient descent steps against the gradient, and it must not change the dict or arrays it was given.",
        "W{l} <- W{l} - learning_rate dW{l}, and the same for b{l}, as new arrays in a new dict."),
    "gradient_check.correct_backward": GRADIENT_CHECK,
    "gradient_check.broken_backward": GRADIENT_CHECK,
    "train.steps": (
        "train only orchestrates: it calls the functions you already wrote, in a fixed order, and computes "
        "nothing itself.",
        "params = the initializer named by `init` (pass rng to initialize_random and initialize_he); then, "
        "num_iterations times: forward, compute_cost (append it, before the update), backward, "
        "update_parameters."),
    "activation_statistics.tiny_example": (
        "Only the hidden layers count, not the output layer, and each statistic is taken over every entry of "
        "that layer's activations.",
        "For l = 1, ..., L-1: the mean and the (population) std of all entries of A{l}, and the fraction of "
        "entries where saturated(A{l}, activation) is True."),
    "worked_example.shapes": (
        "Which matrix carries the gradient from layer 2 back to layer 1: the weights W2, or their gradient dW2?",
        "dW2 = A1^T dZ2, dA1 = dZ2 W2^T (the weights), dZ1 = dA1 * g'(Z1) = dA1 for the identity, and "
        "dW1 = X^T dZ1, of shape (2, 3) like W1: column j of dW1 is W2[j] times X^T dZ2."),
}

WORKED_RULE = ("dA1 = dZ2 W2^T: the signal goes back through the outgoing weights, so column j of dW1 is W2[j] "
               "times X^T dZ2, and a unit whose outgoing weight is 0 gets no gradient at all.")

SYMPTOMS: tuple[Symptom, ...] = (
    Symptom("transposed", None, "; transposed", (
        "The array has the right numbers of rows and columns, swapped: which convention for W are you using?",
        "Here examples are rows: W{l} has shape (n_{l-1}, n_l), b{l} (1, n_l), and Z{l} = A{l-1} W{l} + b{l}. "
        "The Coursera course's W is (n_l, n_{l-1}), the transpose, because its examples are columns.")),
    Symptom("xavier_scale", "initialize_he.scale", "matches sqrt(1/fan_in)", (
        "Your weights have the scale that keeps the signal's size for tanh. What does ReLU do to half of its "
        "inputs, and what does that do to the variance?",
        "ReLU keeps E[a^2] = Var(z) / 2, so keeping Var(z) through the layers needs n Var(w) = 2: "
        "Var(W{l}) = 2 / n_{l-1}, std sqrt(2 / n_{l-1}).")),
    Symptom("fan_out", "initialize_he.scale", "matches sqrt(2/fan_out)", (
        "Which n is it: the number of inputs each unit adds up, or the number of units in the layer?",
        "n is the fan-in of W{l}: layer_dims[l-1] = W{l}.shape[0].")),
    Symptom("variance_as_std", "initialize_he.scale", "matches 2/fan_in", (
        "2/n is a variance. What do you multiply standard normal numbers by to get a given variance?",
        "Multiply by the standard deviation, the square root of the variance: sqrt(2 / n_{l-1}).")),
    Symptom("uniform", "initialize_he.scale", "matches sqrt(1/12)", (
        "Your weights are all positive: which distribution did you draw them from?",
        "He's weights are normal and centred on 0: standard normal numbers times sqrt(2 / n_{l-1}).")),
    Symptom("cost_summed", "compute_cost.known_answer", "the sum over the examples", (
        "Your cost grows with the number of examples. Should it?",
        "The cost is the mean over the m examples: divide the sum by m.")),
    Symptom("update_sign", "update_parameters.known_answer", "(sign: subtract", (
        "Which direction lowers the cost: along the gradient, or against it?",
        "Subtract: W{l} - learning_rate dW{l}.")),
    Symptom("update_in_place", "update_parameters.known_answer", "it changed the `params` it was given", (
        "A second call with the same arguments gave another answer: what did the first call change?",
        "W - a * dW makes a new array; W -= a * dW overwrites the caller's. Return a new dict of new arrays.")),
    Symptom("gradient_check_one_epsilon", None, "1/3 is what dividing", (
        "Your difference is exactly 1/3. How far apart are theta + epsilon and theta - epsilon?",
        "The centred difference divides by that distance: (J(theta + epsilon) - J(theta - epsilon)) / (2 epsilon)."
    )),
    Symptom("gradient_check_changes_params", None, "it changed `params`", (
        "A second call on the same params gave another answer: what did the first call leave behind?",
        "Nudge entries of copies of the arrays (or put every entry back), so params is unchanged afterwards.")),
    Symptom("train_rng", "train.steps", "did not pass its rng", (
        "A seeded training run has to be reproducible: what does the initializer need from train for that?",
        "Pass train's rng on: initialize_he(layer_dims, rng=rng), and the same for initialize_random.")),
    Symptom("train_init", "train.steps", "started from initialize_", (
        "Which initializer does the `init` argument name?",
        "init = \"zeros\", \"random\" or \"he\" chooses initialize_zeros, initialize_random or initialize_he.")),
    Symptom("train_cost_after_update", "train.steps", "recorded each cost after the update", (
        "costs[0] should describe the parameters you started from.",
        "In each iteration: forward, compute_cost (append it now), backward, then update_parameters.")),
    Symptom("train_inline_update", "train.steps", "updated the parameters itself", (
        "train should not do arithmetic on the parameters itself.",
        "Call update_parameters(params, grads, learning_rate) for the step.")),
    Symptom("worked_dW2_for_W2", "worked_example.shapes", "in place of the weights W2", (
        "Look at the formula for dA1 again: is it the weights W2 in there, or the gradient dW2?", WORKED_RULE)),
    Symptom("worked_ones_for_W2", "worked_example.shapes", "as if every outgoing weight were 1", (
        "Where do the outgoing weights enter the backward pass?", WORKED_RULE)),
)
