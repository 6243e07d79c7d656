"""Runs on disk: run directories and the loop that writes them (rundir), checkpoints
(checkpoint), a run as one zip (runzip), reading any of them back as a trainer (load), and
one generator averaged from several saved states (average). Reading and writing runs draws
nothing: a run's pictures are made in ganlab.figures.run."""

# The names in a run directory that other rooms refer to (here, so that the command line's
# parser can name them without loading torch).
KEPT_DIR = "kept"  # ganlab train --keep-every: the folder of kept states
AVERAGE_JSON = "average.json"  # ganlab average: the states behind an averaged run
