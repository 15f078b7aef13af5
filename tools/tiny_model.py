"""The tiny model both recorders train: a two-layer MLP on a fixed random task, real losses, a real lr schedule.

Imported by tools/record_spt.py and tools/record_lightning.py (run from the
repo, in a venv with torch and lightning).
"""

from __future__ import annotations


def tiny_model(pl, torch, hparams: dict, steps: int, log_step):
    """A LightningModule; `log_step(module, loss)` logs train/loss (and pictures) its recorder's way."""

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.save_hyperparameters(hparams)
            torch.manual_seed(0)
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
            generator = torch.Generator().manual_seed(0)
            self.x = torch.randn(512, 8, generator=generator)
            self.y = (self.x[:, 0] > 0).long() + (self.x[:, 1] > 0.5).long()

        def training_step(self, batch, index):
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self.net(x), y)
            log_step(self, loss)
            return loss

        def validation_step(self, batch, index):
            x, y = batch
            logits = self.net(x)
            self.log("val/loss", torch.nn.functional.cross_entropy(logits, y))
            self.log("val/acc", (logits.argmax(1) == y).float().mean())

        def configure_optimizers(self):
            optimizer = torch.optim.SGD(self.parameters(), lr=0.05)
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

        def train_dataloader(self):
            data = torch.utils.data.TensorDataset(self.x, self.y)
            return torch.utils.data.DataLoader(data, batch_size=16, shuffle=True)

        def val_dataloader(self):
            data = torch.utils.data.TensorDataset(self.x[:128], self.y[:128])
            return torch.utils.data.DataLoader(data, batch_size=64)

    return Tiny()
