"""Wire conventions both sides speak on top of the codec: how each dialog is laid out in
Dialogmelding, and which attachments are accepted. The portal's dialogs and the simulated
EPJ's desk both import these, so neither side imports the other."""
