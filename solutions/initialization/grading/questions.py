"""The answer key of the initialization assignment's conceptual questions, and their hidden checks.

QUESTIONS is the one table behind the hidden checks (`question_checks`), the answer key a release ships when
course.toml reveals answers (labkit/answers.json, read by the notebook's `check(q_...)`), and
tests/test_questions.py. The question text and options are the docstrings of the `q_*` functions in
reference.py; every wrong option here is a misconception learners hold, with what corrects it.
"""

from autograder.labkit.framework import Check, Visibility
from autograder.labkit.questions import FACTOR, MC, NUMBER, RELATIVE, Mistake, Question, question_check

# Headings of the notebook, spelled exactly as in lesson.md (tests hold the table to that).
PART1 = "Part 1 · Three ways to start"
SYMMETRY = "Part 4 · Symmetry: why equal weights stay equal"
NUDGE = "Experiment: constant weights, a tiny nudge, and a real random start"
ALL_ZERO = "What does an all-zero network do?"
SATURATION = "Part 6 · Saturation: large weights and flat tails"
LARGE_WEIGHTS = "Experiment: tanh and sigmoid under large weights"
VANISH = "Do the gradients vanish? Measure them"
TWO_OVER_N = "Part 7 · Why 2/n: keeping the signal alive through depth"
DEEP = "Experiment: 20 ReLU layers, three scales"

QUESTIONS: tuple[Question, ...] = (
    Question(
        "q_symmetry", "constant start: what the units of a layer do", SYMMETRY, MC, "c",
        explanations={
            "a": "the features differ along the rows of W1 (one row per feature), but every unit (column) sees the "
                 "same features through the same weights, so the columns of Z1, A1, dZ1 and dW1 are equal: the "
                 "first layer collapses like the others",
            "b": "an elementwise function of identical columns gives bit-for-bit identical columns, so there is no "
                 "round-off difference to grow: in the experiment the \"constant 1\" start keeps a spread of exactly 0",
            "d": "a non-zero constant is not zero: the activations and dZ are non-zero, so the weights do move, only "
                 "by the same amount for every unit of a layer",
        }),
    Question(
        "q_zero_relu", "all-zero ReLU network: the cost it ends at", ALL_ZERO, NUMBER, 0.6109, tolerance=0.005,
        mistakes=(
            Mistake(0.690, 0.696, "ln 2 = 0.693 is where it starts. The output bias gets the gradient "
                                  "mean(a - y) = 0.5 - 0.7, which is not 0, so it moves (only balanced labels would "
                                  "keep it still)"),
            Mistake(0.697, 0.703, "0.7 is the probability the network ends up predicting for every input, not the "
                                  "cost of that prediction; compute_cost of that constant prediction is the answer"),
            Mistake(0.876, 0.886, "that is the cost in bits (log base 2); compute_cost uses the natural logarithm"),
            Mistake(0.0, 0.05, "a cost near 0 needs the hidden units, but with relu(0) = 0 and W3 = 0 they never get "
                               "a gradient: only the output bias learns, so the network predicts one probability for "
                               "every input"),
        )),
    Question(
        "q_zero_hidden_activation", "all-zero sigmoid hidden layers: the first gradient of W3", ALL_ZERO, NUMBER,
        -0.1, tolerance=0.002,
        mistakes=(
            Mistake(-0.002, 0.002, "dW3 = A2^T dZ3, and with sigmoid hidden layers A2 = sigmoid(0) = 0.5, not 0 as "
                                   "for ReLU or tanh; dW3 is 0 only when the labels are balanced"),
            Mistake(-0.202, -0.198, "-0.2 is db3 = mean(a - y) = 0.5 - 0.7; dW3 also multiplies every example's dZ3 "
                                    "by its input A2"),
            Mistake(0.098, 0.102, "the sign is reversed: dZ3 = (a - y) / m, and a = 0.5 lies below the labels' "
                                  "mean 0.7"),
            Mistake(0.198, 0.202, "the sign is reversed (dZ3 = (a - y) / m), and dW3 also multiplies by its input A2"),
        )),
    Question(
        "q_tiny_differences", "why tiny random weights break the symmetry", NUDGE, MC, "a",
        explanations={
            "b": "nothing pulls different units back together: a symmetric state is an unstable balance, and in the "
                 "experiment the spread between units only ever grows",
            "c": "in the experiment a 1e-8 nudge of equal weights needs about 14,000 steps before the units of layer 1 "
                 "differ, and those of layer 2 are still nearly equal at 20,000: how fast units separate depends on "
                 "how much they differ relative to their size",
            "d": "identical units get identical gradients on any set of examples, in any order (and the notebook "
                 "uses every example at every step): the order of the examples cannot tell the units apart",
        }),
    Question(
        "q_saturation", "where tanh units learn", SATURATION, MC, "b",
        explanations={
            "a": "scaling by sqrt(1/n) makes the standard deviation of z about 1, so z spreads around 0; and what "
                 "speeds learning is a large tanh'(z), which is largest at z = 0, not at 1",
            "c": "near +1 the unit is saturated: tanh'(z) = 1 - tanh(z)^2 is almost 0 there, so backpropagation "
                 "passes almost nothing to its incoming weights",
            "d": "backpropagation multiplies by tanh'(z) = 1 - tanh(z)^2, about 0.01 at |z| = 3 and less beyond, so "
                 "large |z| of either sign stalls the unit, however large the signals",
        }),
    Question(
        "q_saturated_fraction", "saturated fraction of a tanh layer with std 0.25", LARGE_WEIGHTS, NUMBER, 0.508,
        tolerance=0.02,
        mistakes=(
            Mistake(0.85, 0.89, "that is the fraction for std 1, where z has standard deviation 16; with std 0.25 it "
                                "is 0.25 * sqrt(256) = 4"),
            Mistake(0.0, 0.02, "each weight is small, but z adds 256 terms: its standard deviation is "
                               "0.25 * sqrt(256) = 4, well beyond artanh(0.99) = 2.65"),
            Mistake(0.95, 0.98, "independent terms add their variances, so the standard deviation of z is "
                                "0.25 * sqrt(256) = 4, not 0.25 * 256 = 64"),
            Mistake(0.24, 0.27, "that counts one tail only, z > t; tanh saturates on both sides, where |z| > t"),
        )),
    Question(
        "q_explosion", "measured gradient ratio of a deep tanh network with std 1", VANISH, NUMBER, 15689.0,
        tolerance=0.2, tolerance_kind=RELATIVE,
        mistakes=(
            Mistake(0.0, 1e-3, "that is the ratio of the sigmoid network, whose gradients do vanish; the question "
                               "is about \"tanh, std 1\""),
            Mistake(1.2, 1.6, "that is the ratio of \"tanh, std 1/sqrt(n)\"; the question is about \"tanh, std 1\""),
            Mistake(1e-3, 1.0, "a ratio below 1 means the gradients shrink toward the input; measure it with your "
                               "backward: for tanh with std 1 they grow"),
        )),
    Question(
        "q_variance_of_z", "Var(z) of a unit with ReLU inputs", TWO_OVER_N, NUMBER, 4.0, tolerance=0.1,
        mistakes=(
            Mistake(7.9, 8.1, "that takes E[a^2] = Var(u) = 4; ReLU zeroes the negative half of u, so "
                              "E[a^2] = 4 / 2 = 2"),
            Mistake(39.0, 41.0, "that uses the weights' standard deviation 0.1 where their variance 0.01 belongs"),
            Mistake(79.0, 81.0, "that uses the weights' standard deviation 0.1 where their variance 0.01 belongs, and "
                                "E[a^2] = 4, although ReLU zeroes half of u"),
            Mistake(2.6, 2.85, "that uses the variance of a (about 1.36) where its second moment E[a^2] = 2 belongs: "
                               "with zero-mean weights, Var(w a) = Var(w) E[a^2]"),
            Mistake(1.9, 2.1, "that leaves out E[a^2] = 2, the size of the inputs: each term has variance "
                              "Var(w) E[a^2]"),
        )),
    Question(
        "q_he_two_over_n", "why 2/n for ReLU", TWO_OVER_N, MC, "d",
        explanations={
            "a": "the mean of the inputs does not set the size of the next z: with zero-mean weights "
                 "Var(z) = n Var(w) E[a^2], and the factor 2 makes up for E[a^2], the second moment, being half of "
                 "Var(z)",
            "b": "for n_in = n_out = n, Glorot's 2 / (n_in + n_out) is 2 / (2n) = 1/n, half of He's 2/n; in the "
                 "20-layer ReLU experiment that scale halves E[a^2] in every layer",
            "c": "2/n is not a safe guess but the one value that keeps Var(z) the same from layer to layer: 3/n "
                 "multiplies it by 1.5 per layer (about 2,000 times over 20 layers), 1/n halves it",
        }),
    Question(
        "q_he_std", "He standard deviation of a (512, 128) weight matrix", PART1, NUMBER, 0.0625, tolerance=0.01,
        tolerance_kind=RELATIVE,
        mistakes=(
            Mistake(0.1237, 0.1263, "that uses 128, the number of units (fan-out); He uses the fan-in, "
                                    "W.shape[0] = 512"),
            Mistake(0.0038, 0.0040, "2/512 is the variance; the standard deviation is its square root"),
            Mistake(0.0153, 0.0159, "that is 2/128, a variance and with the fan-out; He's standard deviation is "
                                    "sqrt(2 / fan_in)"),
            Mistake(0.0437, 0.0447, "that is sqrt(1/n), the LeCun (Xavier-like) scale for tanh; ReLU needs "
                                    "sqrt(2/n)"),
            Mistake(0.0553, 0.0565, "that is Glorot's sqrt(2 / (n_in + n_out)); He uses the fan-in only"),
            Mistake(0.0875, 0.0893, "that is sqrt(1/128): the fan-out, and the tanh scale"),
        )),
    Question(
        "q_signal_ratio", "signal after 20 ReLU layers with variance 1.5/n", DEEP, NUMBER, 0.75**19, tolerance=3.0,
        tolerance_kind=FACTOR,
        mistakes=(
            Mistake(0.3, 3.4, "scaling by the fan-in keeps the signal only when n Var(w) / 2 = 1 for ReLU; with "
                              "1.5/n every layer multiplies E[a^2] by 0.75"),
            Mistake(100.0, 1e300, "that leaves out that ReLU halves E[a^2]: the factor per layer is "
                                         "n Var(w) / 2, not n Var(w)"),
            Mistake(1e-7, 1e-5, "that is the ratio for variance 1/n (a factor 1/2 per layer); 1.5/n gives 0.75 per "
                                "layer"),
        )),
)


def question_checks() -> list[Check]:
    """One hidden check `q_<topic>.answer` per question."""
    return [question_check(question, Visibility.HIDDEN) for question in QUESTIONS]
