"""Deployment files for the notebooks: a Modal app, a systemd unit, a Dockerfile.

Each generator writes into a folder the user names, with a token that is generated, stored at
mode 0600 and shown once, and each has a `--check` that validates what it wrote. The command
line is `gpulab deploy {modal,systemd,docker}` (`gpulab.deploy.cli`).
"""
