using Celeriac.Cli;

// Celery's "project" layout: tasks in several files (Tasks/), settings in appsettings.json (Celery's names),
// and the command line:
//   dotnet run --project samples/Proj -- worker -l info
//   dotnet run --project samples/Proj -- call proj.tasks.add --args '[4, 5]'
//   dotnet run --project samples/Proj -- result <task id>
//   dotnet run --project samples/Proj -- beat -l info        (sends beat_schedule's entries; or: worker -B -l info)
// The "imports" setting registers every [CeleriacTask] method of the Proj assembly.
return await CeleriacCli.RunAsync(args);
