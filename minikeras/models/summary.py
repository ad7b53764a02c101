"""`model.summary()`: the table of layers, output shapes and parameter counts, as Keras draws it."""

from __future__ import annotations


def readable_size(num_bytes: float) -> str:
    """`3876` -> `"3.79 KB"` (powers of 1024, as Keras prints)."""
    units = ["B", "KB", "MB", "GB", "TB"]
    scale = 0
    while num_bytes >= 1024 and scale < len(units) - 1:
        num_bytes /= 1024
        scale += 1
    return f"{num_bytes:.2f} {units[scale]}"


def _row(cells, widths, aligns, left, middle, right):
    parts = []
    for cell, width, align in zip(cells, widths, aligns):
        parts.append(" " + (cell.rjust(width) if align == "right" else cell.ljust(width)) + " ")
    return left + middle.join(parts) + right


def summary_lines(model, line_length: int | None = None, show_trainable: bool = False) -> list[str]:
    """Return the lines of the summary table of `model`."""
    headers = ["Layer (type)", "Output Shape", "Param #"]
    rows = []
    shape = model.input_shape
    for layer in model.layers:
        name = f"{layer.name} ({type(layer).__name__})"
        if shape is not None and layer.built:
            shape = layer.compute_output_shape(shape)
            out, params = str(tuple(shape)), f"{layer.count_params():,}"
        else:
            shape = None
            out, params = "?", f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [name, out, params]
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    if show_trainable:
        headers.append("Trainable")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    widths[0] = max(widths[0], 31)
    widths[1] = max(widths[1], 22)
    widths[2] = max(widths[2], 13)
    if line_length:  # stretch the first column so the table spans line_length
        total = sum(widths) + 3 * len(widths) + 1
        widths[0] += max(line_length - total, 0)
    aligns = ["left", "left", "right", "left"][: len(headers)]
    bars = ["━" * (w + 2) for w in widths]
    thin = ["─" * (w + 2) for w in widths]
    lines = [f'Model: "{model.name}"']
    lines.append("┏" + "┳".join(bars) + "┓")
    lines.append(_row(headers, widths, aligns, "┃", "┃", "┃"))
    lines.append("┡" + "╇".join(bars) + "┩")
    for index, row in enumerate(rows):
        if index:
            lines.append("├" + "┼".join(thin) + "┤")
        lines.append(_row(row, widths, aligns, "│", "│", "│"))
    lines.append("└" + "┴".join(thin) + "┘")

    trainable = sum(w.size for layer in model.layers for w in layer.trainable_weights)
    non_trainable = sum(w.size for layer in model.layers for w in layer.non_trainable_weights)
    trainable_bytes = sum(w.nbytes for layer in model.layers for w in layer.trainable_weights)
    non_trainable_bytes = sum(w.nbytes for layer in model.layers for w in layer.non_trainable_weights)
    lines.append(
        f" Total params: {trainable + non_trainable:,} ({readable_size(trainable_bytes + non_trainable_bytes)})"
    )
    lines.append(f" Trainable params: {trainable:,} ({readable_size(trainable_bytes)})")
    lines.append(f" Non-trainable params: {non_trainable:,} ({readable_size(non_trainable_bytes)})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.iterations > 0:
        state = optimizer.variables
        size = sum(v.size for v in state)
        lines.append(f" Optimizer params: {size:,} ({readable_size(sum(v.nbytes for v in state))})")
    return lines
