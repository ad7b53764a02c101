"""The `minikeras` command: inspect, run and convert model files.

    minikeras summary MODEL
    minikeras predict MODEL INPUT.npy [-o OUT.npy] [--batch-size N]
    minikeras convert SOURCE DESTINATION      (.h5 <-> .keras)
    minikeras --version

Errors (a damaged file, inputs of the wrong shape) print one clear line and exit with status 1.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import minikeras


def _load(path: str, compile: bool = False):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. an optimizer minikeras lacks: not needed to inspect or predict
        return minikeras.models.load_model(path, compile=compile)


def command_summary(args) -> int:
    from minikeras.saving import saving_api

    info = saving_api.describe_file(args.model)
    model = _load(args.model, compile=True)
    model.summary()
    print(f" File format: {info['format']}")
    for key in ("keras_version", "minikeras_version", "backend"):
        if info.get(key):
            print(f" {key.replace('_', ' ').capitalize()}: {info[key]}")
    if model.compiled:
        loss = model.loss if isinstance(model.loss, str) else type(model.loss).__name__
        print(f" Compiled with: {type(model.optimizer).__name__} (step {model.optimizer.iterations}), loss {loss}")
    return 0


def command_predict(args) -> int:
    model = _load(args.model)
    try:
        inputs = np.load(args.input, allow_pickle=False)  # never unpickle a file given on the command line
    except ValueError as error:
        raise ValueError(f"{args.input!r} is not a plain .npy array: {error}") from None
    outputs = model.predict(inputs, batch_size=args.batch_size, verbose=0)
    if args.output:
        np.save(args.output, outputs)
        print(f"Wrote predictions of shape {outputs.shape} to {args.output}")
    else:
        np.savetxt(sys.stdout, outputs.reshape(len(outputs), -1), fmt="%.6g")
    return 0


def command_convert(args) -> int:
    model = _load(args.source, compile=True)
    model.save(args.destination)
    print(f"Converted {args.source} to {args.destination}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minikeras", description="Inspect, run and convert minikeras and Keras model files."
    )
    parser.add_argument("--version", action="version", version=f"minikeras {minikeras.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    summary = commands.add_parser(
        "summary", help="print a model file's layers, shapes, parameters, format and versions"
    )
    summary.add_argument("model", help="a .keras or .h5 model file")
    summary.set_defaults(run=command_summary)
    predict = commands.add_parser("predict", help="run a model on the inputs in a .npy file")
    predict.add_argument("model", help="a .keras or .h5 model file")
    predict.add_argument("input", help="a .npy array of inputs, (samples, ...) as the model expects")
    predict.add_argument("-o", "--output", help="write the predictions to this .npy file instead of printing them")
    predict.add_argument("--batch-size", type=int, default=32)
    predict.set_defaults(run=command_predict)
    convert = commands.add_parser("convert", help="rewrite a model file in another format (.h5 <-> .keras)")
    convert.add_argument("source")
    convert.add_argument("destination", help="ends in .keras or .h5")
    convert.set_defaults(run=command_convert)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, TypeError) as error:
        print(f"minikeras {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
