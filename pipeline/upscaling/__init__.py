"""The product core: a trained model applied to photos of any size. Loading and running a
model, seamless tiles, the streaming PNG writer, `Upscaler` (what the command line, the web
server and any Python caller share), and planning a batch of outputs. Needs no training code."""
