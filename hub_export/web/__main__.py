"""Build (and optionally serve or screenshot) the static BigGAN demo site.

    python -m hub_export.web --model=TFJS_DIR --output=SITE_DIR \\
        [--labels=labels.json] [--model_card=model_card.json] \\
        [--serve --port=8000] [--screenshot=PATH.png]

``--serve`` keeps serving SITE_DIR on http://127.0.0.1:PORT/ until Ctrl-C.
``--screenshot`` opens the page in headless Chromium, saves a screenshot and
prints the page status and canvas pixel statistics (exit 1 if the page
reports an error or draws uniform canvases).
"""
import time

from absl import flags

from hub_export.command import export_command, main
from tfbiggan.cli import CommandFailed
from tfbiggan.errors import InputError
from tfbiggan.paths import refuse_overlap


def define_flags(fl):
    flags.DEFINE_string("model", None, "TF.js graph model folder (model.json + shards).",
                        flag_values=fl)
    flags.DEFINE_string("output", None, "Site folder to write.", flag_values=fl)
    flags.DEFINE_string("labels", None, "Optional JSON class names (list or {id: name}).",
                        flag_values=fl)
    flags.DEFINE_string("model_card", None, "Optional JSON with z_dim / num_classes.",
                        flag_values=fl)
    flags.DEFINE_bool("serve", False, "Serve the site until interrupted.", flag_values=fl)
    flags.DEFINE_string("host", "127.0.0.1", "Address to serve on.", flag_values=fl)
    flags.DEFINE_integer("port", 8000, "Port to serve on (0: any free port).",
                         lower_bound=0, upper_bound=65535, flag_values=fl)
    flags.DEFINE_string("screenshot", None, "Render headless and save a PNG here.",
                        flag_values=fl)
    flags.DEFINE_string("chromium", None, "Chromium binary (default: chromium on PATH).",
                        flag_values=fl)


USAGE = ("python -m hub_export.web --model=TFJS_DIR --output=SITE_DIR "
         "[--serve --port=8000] [--screenshot=PATH.png]")


def _main(fl, positional):
    del positional
    from hub_export.web import browser, site
    if not fl.model or not fl.output:
        raise InputError(f"--model and --output are required; {USAGE}.")
    refuse_overlap("--screenshot", fl.screenshot, [("--model", fl.model)])
    out = site.build_site(fl.model, fl.output, labels=fl.labels, model_card=fl.model_card)
    print(f"wrote site to {out}")
    if not (fl.serve or fl.screenshot):
        return
    port = fl.port if fl.serve else 0
    server, url = site.serve(out, port=port, host=fl.host, verbose=fl.serve)
    try:
        if fl.screenshot:
            report = browser.render(url + "?seed=0", fl.screenshot, chromium=fl.chromium)
            print(f"screenshot: {fl.screenshot}\npage: {report['status']}: "
                  f"{report['status_text']}")
            for i, c in enumerate(report["canvases"]):
                print(f"  canvas {i}: {c['width']}x{c['height']} std {c['std']:.1f} "
                      f"distinct colours {c['distinct']}")
            if report["status"] != "ready" or not report["canvases"] or any(
                    c["std"] == 0 for c in report["canvases"]):
                raise CommandFailed("the page did not render varied images:\n"
                                    + "\n".join(report["console"][-20:]))
        if fl.serve:
            print(f"serving {out} on {url} (Ctrl-C to stop)")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()


# OSError: the port is taken or the address cannot be bound.
# OSError: the page's folder or port cannot be used.
COMMAND = export_command("hub_export.web", define_flags, _main, USAGE, bad_input=(OSError,))


if __name__ == "__main__":
    main(COMMAND)
