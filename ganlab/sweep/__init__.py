"""Sweeps: one preset over a grid of settings and seeds, each trial a normal run directory,
trained as Ray tasks on this machine or a cluster; and large stability maps split over Ray.

``grid`` (what a sweep trains) and ``results`` (its table) need neither Ray nor torch;
``trial`` (one stretch of one trial) runs inside a Ray task; ``cluster`` is the only module
that imports Ray; ``run`` drives a sweep and ``maps`` a map.
"""
