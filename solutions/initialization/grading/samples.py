"""The bundled sample submissions of the initialization assignment, as changes to the reference.

`autograder release` writes them to solutions/initialization/submissions/ (sample_submissions.py): each .py is
the reference with the catalogue's mistakes and the edits below applied, so the samples follow the reference
whenever it changes, and tests/test_samples.py grades each and compares with what the catalogue predicts.
"""

from autograder.sample_submissions import SampleSpec

EXIT_EARLY = '''
import json, os
fake = {"score": 100, "tests": [{"name": "all", "score": 100, "max_score": 100, "status": "passed"}]}
print(json.dumps(fake))
for fd in range(3, 64):
    try:
        os.write(fd, ("0 " + json.dumps({"values": {}, "failure": None, "seconds": 0}) + "\\n").encode())
    except OSError:
        pass
os._exit(0)
'''

LYING_ARRAY = '''

class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def std(self, *args, **kwargs):
        return np.sqrt(2.0 / self.shape[0])

    def __repr__(self):
        return "array(<exactly He-scaled>)"


_initialize_he = initialize_he


def initialize_he(layer_dims, rng=None):
    return {k: v.view(Agreeable) for k, v in _initialize_he(layer_dims, rng).items()}
'''

PATCH_NUMPY = '''
import builtins

np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
builtins.abs = lambda x: 0.0
'''

READ_REFERENCE = '''
import glob

stolen = {}
for pattern in ["/work/**/reference.py", "/home/**/reference.py", "/tmp/**/reference.py", "/root/**/reference.py"]:
    for path in glob.glob(pattern, recursive=True):
        try:
            exec(open(path).read(), stolen)
        except Exception:
            continue
for name, value in list(stolen.items()):
    if callable(value) and not name.startswith("_"):
        globals()[name] = value
'''

TRAIN_LOOP = "    for _ in range(num_iterations):"
# the start of initialize_zeros's loop (the other initializers draw from rng)
ZEROS_START = '    params = {}\n    for l in range(1, len(layer_dims)):\n        params[f"W{l}"] = np.zeros('

SAMPLES = (
    SampleSpec("he_with_xavier_scale", "initialize_he uses the Xavier/LeCun std sqrt(1/fan_in)",
               mistakes=("he_xavier_scale",)),
    SampleSpec("forgot_activation_derivative", "backward leaves out g'(Z) in the hidden layers",
               mistakes=("backward_no_activation_derivative",)),
    SampleSpec("cost_summed_and_unclipped", "compute_cost sums instead of averaging and takes log(0) when "
               "saturated",
               mistakes=("cost_sum", "cost_not_clipped")),
    SampleSpec("train_costs_after_update", "train records each cost after the update",
               mistakes=("train_cost_after_update",)),
    SampleSpec("infinite_loop_in_train", "train never stops; every other function is right",
               edits=((TRAIN_LOOP, "    while True:"),)),
    SampleSpec("memory_bomb", "initialize_zeros tries to allocate 64 GB; every other function is right",
               edits=((ZEROS_START, "    hog = np.ones((1 << 33,))\n" + ZEROS_START),)),
    SampleSpec("syntax_error", "a half-edited cell", edits=(("def forward(\n", "def forward(\n    oops(\n"),)),
    SampleSpec("cheat_exits_early", "prints what looks like a perfect result and exits before any check runs",
               edits=(("def forward(\n", "def forward_unused(\n"),), append=EXIT_EARLY),
    SampleSpec("cheat_lying_array", "wrong He scale, returned as arrays that claim to equal anything",
               mistakes=("he_xavier_scale",), append=LYING_ARRAY),
    SampleSpec("cheat_patches_numpy_testing", "wrong He scale, plus patches that make numpy's comparisons succeed",
               mistakes=("he_xavier_scale",), append=PATCH_NUMPY),
    SampleSpec("cheat_reads_reference", "no function of its own: tries to load the reference solution from "
               "disk",
               from_reference=False, append=READ_REFERENCE),
)

# complete_and_correct.ipynb keeps a helper in a cell of the student's own, which forward's answer uses.
HELPER_CELL = ("forward", 'def my_affine(A, W, b):\n    """Z = A @ W + b, in a cell of my own."""\n'
               "    return A @ W + b\n", "Z = A_prev @ W + b", "Z = my_affine(A_prev, W, b)")
