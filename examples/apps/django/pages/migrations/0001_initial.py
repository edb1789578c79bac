# The sample's first schema: the workers' heartbeats.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='Heartbeat',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('worker', models.CharField(max_length=253, unique=True)),
                ('beats', models.PositiveIntegerField(default=0)),
                ('updated', models.DateTimeField()),
            ],
        ),
    ]
