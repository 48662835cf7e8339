from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Base for every domain model: when a row was created and last changed."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class PeriodicJob(models.Model):
    """A periodic job of ``tongban worker``: when it was last put on the task queue.

    The row is the lock: a worker enqueues a run only after a conditional UPDATE of
    ``last_enqueued_at`` succeeds, so several workers never enqueue the same run twice.
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    callable_path = models.CharField(_("调用路径"), max_length=200)
    #: How often the job runs, in seconds.
    every_seconds = models.PositiveIntegerField(_("间隔（秒）"))
    last_enqueued_at = models.DateTimeField(_("上次入队时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskWorker(models.Model):
    """A running ``tongban worker`` and its last heartbeat (``tongban.core.workers``).

    ``worker_id`` is the id the worker writes into ``DBTaskResult.worker_ids`` when it claims a
    task; a task still RUNNING under a worker whose heartbeat has stopped is put back on the queue.
    """

    worker_id = models.CharField(_("工作进程"), max_length=64, unique=True)
    started_at = models.DateTimeField(_("启动时间"), auto_now_add=True)
    beat_at = models.DateTimeField(_("心跳时间"))

    class Meta:
        verbose_name = _("后台工作进程")
        verbose_name_plural = _("后台工作进程")

    def __str__(self) -> str:
        return self.worker_id
